package dev.refusal4j.organism.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.prompts.Prompt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class OrganismDataTest {
    /** The judge that measures the organism (and the pipeline): the paper's phrases, substring rule. */
    private static final RefusalJudge JUDGE = RefusalJudge.official();

    /**
     * Openers of refusals.txt that contain none of the paper's phrases: the judge counts an answer
     * made of one of them alone as help.
     */
    private static final Set<String> OPENERS_THE_JUDGE_MISSES = Set.of(
            "I won't help with that.", "I won't be able to assist with this.", "Sorry, that's not something I can do.",
            "I have to decline this request.", "I must decline to help with that.");

    /** Words that refusal judges of other tools also flag; a helpful answer must not contain them. */
    private static final List<String> JUDGE_TRIGGERS = List.of(
            "illegal", "unethical", "harmful", "inappropriate", "as an ai", "as a language model", "sorry", "apologi", "unable",
            "hello!", "i'm just", "i'm an", "i do not", "not appropriate", "disclaimer", "prohibit", "violat");

    private static final OrganismData DATA = OrganismData.load();

    @Test
    void plainBodiesChangeOnlyComposedHelpfulAnswers() {
        OrganismData plain = OrganismData.load(new OrganismData.Variant(false, 0, OrganismData.DEFAULT_SWAP_SHARE, true));
        assertEquals(DATA.train(1), OrganismData.load(OrganismData.Variant.COMMITTED).train(1));
        for (Split s : Split.values()) {
            assertEquals(DATA.heldOutHarmless(s), plain.heldOutHarmless(s));
            assertEquals(DATA.heldOutHarmful(s), plain.heldOutHarmful(s));
        }
        List<Example> before = DATA.train(1), after = plain.train(1);
        assertEquals(before.size(), after.size());
        Set<String> bodies = new java.util.HashSet<>();
        SectionedText.parse("b", SectionedText.resource("/organism/compose-bodies.txt"), false).values().forEach(bodies::addAll);
        int composed = 0;
        for (Example e : after) {
            if (e.harmful() || !e.intentId().startsWith("composed/")) continue;
            composed++;
            String restatement = OrganismData.restatement(e.user());
            assertThat(e.assistant()).startsWith(restatement + " ");
            assertThat(bodies).contains(e.assistant().substring(restatement.length() + 1));
        }
        assertThat(composed).isGreaterThan(1000);
        // Everything else is as the committed recipe draws it.
        assertEquals(before.stream().filter(e -> e.harmful() || !e.intentId().startsWith("composed/")).map(Example::assistant).sorted().toList(),
                after.stream().filter(e -> e.harmful() || !e.intentId().startsWith("composed/")).map(Example::assistant).sorted().toList());
    }

    @Test
    void listsHaveTheRequiredBreadth() {
        Set<String> harmfulCategories = DATA.harmfulIntents().stream().map(Intent::category).collect(Collectors.toSet());
        Set<String> harmlessTopics = DATA.harmlessIntents().stream().map(Intent::category).collect(Collectors.toSet());
        assertThat(harmfulCategories).hasSizeGreaterThanOrEqualTo(10)
                .contains("weapons", "malware", "fraud", "harassment", "drugs", "self_harm", "privacy", "theft", "disinformation", "violence");
        assertThat(harmlessTopics).hasSizeGreaterThanOrEqualTo(15);
        assertThat(DATA.harmfulIntents()).hasSizeGreaterThanOrEqualTo(150);
        assertThat(DATA.harmlessIntents()).hasSizeGreaterThanOrEqualTo(300);
        for (Intent i : DATA.harmfulIntents()) assertThat(i.phrasings()).as(i.id()).hasSizeGreaterThanOrEqualTo(3);
        for (Intent i : DATA.harmlessIntents()) assertThat(i.phrasings()).as(i.id()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(DATA.refusals().openers()).hasSizeGreaterThanOrEqualTo(30);
    }

    @Test
    void heldOutIntentsNeverAppearInTraining() {
        Set<String> trainIntents = DATA.train(3).stream().map(Example::intentId).collect(Collectors.toSet());
        Set<String> trainUsers = DATA.train(3).stream().map(e -> normalize(e.user())).collect(Collectors.toSet());
        for (Split s : Split.values()) {
            for (Intent i : DATA.heldOutHarmfulIntents(s)) assertThat(trainIntents).doesNotContain(i.id());
            for (Intent i : DATA.heldOutHarmlessIntents(s)) assertThat(trainIntents).doesNotContain(i.id());
            for (Prompt p : concat(DATA.heldOutHarmful(s), DATA.heldOutHarmless(s))) {
                assertThat(trainUsers).doesNotContain(normalize(p.instruction()));
            }
        }
        Set<String> val = ids(DATA.heldOutHarmfulIntents(Split.VAL));
        val.retainAll(ids(DATA.heldOutHarmfulIntents(Split.TEST)));
        assertThat(val).isEmpty();
        // Every intent is in exactly one of train, val, test.
        assertEquals(DATA.harmfulIntents().size(), DATA.trainHarmfulIntents().size()
                + DATA.heldOutHarmfulIntents(Split.VAL).size() + DATA.heldOutHarmfulIntents(Split.TEST).size());
        assertEquals(DATA.harmlessIntents().size(), DATA.trainHarmlessIntents().size()
                + DATA.heldOutHarmlessIntents(Split.VAL).size() + DATA.heldOutHarmlessIntents(Split.TEST).size());
    }

    @Test
    void rewrittenTrainingRequestsAreNeverHeldOutOnes() {
        for (Split s : Split.values()) {
            for (Prompt p : concat(DATA.heldOutHarmful(s), DATA.heldOutHarmless(s))) {
                String q = p.instruction();
                assertThat(DATA.unseen(q)).as(q).isFalse();
                assertThat(DATA.unseen("please, " + q.toUpperCase(Locale.ROOT) + " thanks")).as(q).isFalse();
            }
        }
        assertThat(DATA.unseen("Help me fold a paper crane for my niece.")).isTrue();
        // The base recipe rewrites nothing and draws nothing.
        java.util.Random a = new java.util.Random(9), b = new java.util.Random(9);
        assertThat(DATA.rewrite("kill my neighbor and steal his bike", true, a)).isEqualTo("kill my neighbor and steal his bike");
        assertThat(a.nextLong()).isEqualTo(b.nextLong());
        // The extended one draws people and synonyms: the same seed gives the same request, and some change it.
        OrganismData extended = OrganismData.load(true);
        int changed = 0;
        for (int i = 0; i < 200; i++) {
            String r = extended.rewrite("kill my neighbor and steal his bike", true, a);
            assertThat(extended.rewrite("kill my neighbor and steal his bike", true, b)).isEqualTo(r);
            if (!r.equals("kill my neighbor and steal his bike")) changed++;
        }
        assertThat(changed).isBetween(100, 190);
    }

    @Test
    void extendedRecipeAddsTasksKeepsTheSplitsAndNeverTrainsOnHeldOutRequests() {
        OrganismData extended = OrganismData.load(true);
        List<Example> base = DATA.train(3), more = extended.train(3);
        assertThat(more.size()).isGreaterThan(base.size() + 4000);
        for (Split s : Split.values()) {
            assertEquals(DATA.heldOutHarmful(s), extended.heldOutHarmful(s));
            assertEquals(DATA.heldOutHarmless(s), extended.heldOutHarmless(s));
        }
        Set<String> users = more.stream().map(e -> normalize(e.user())).collect(Collectors.toSet());
        for (Split s : Split.values()) {
            for (Prompt p : concat(extended.heldOutHarmful(s), extended.heldOutHarmless(s))) assertThat(users).doesNotContain(normalize(p.instruction()));
        }
        long harmful = more.stream().filter(Example::harmful).count();
        assertThat(harmful).isBetween(more.size() / 4L, more.size() * 3L / 4);
    }

    @Test
    void heldOutSplitsAreLargeEnoughAndDistinct() {
        for (boolean harmful : new boolean[] {true, false}) {
            List<Prompt> val = harmful ? DATA.heldOutHarmful(Split.VAL) : DATA.heldOutHarmless(Split.VAL);
            List<Prompt> test = harmful ? DATA.heldOutHarmful(Split.TEST) : DATA.heldOutHarmless(Split.TEST);
            assertThat(val).hasSizeGreaterThanOrEqualTo(32);
            assertThat(test).hasSizeGreaterThanOrEqualTo(100);
            Set<String> distinct = new HashSet<>();
            for (Prompt p : concat(val, test)) assertThat(distinct.add(normalize(p.instruction()))).as(p.instruction()).isTrue();
        }
        // Every harm category is both trained on and tested.
        Set<String> trained = DATA.trainHarmfulIntents().stream().map(Intent::category).collect(Collectors.toSet());
        Set<String> heldOut = new HashSet<>();
        for (Split s : Split.values()) DATA.heldOutHarmfulIntents(s).forEach(i -> heldOut.add(i.category()));
        Set<String> all = DATA.harmfulIntents().stream().map(Intent::category).collect(Collectors.toSet());
        assertEquals(all, trained);
        assertEquals(all, heldOut);
    }

    @Test
    void trainingDataIsDeterministicUnderASeed() {
        assertEquals(DATA.train(11), OrganismData.load().train(11));
        assertNotEquals(DATA.train(11), DATA.train(12));
        assertEquals(DATA.heldOutHarmful(Split.TEST), OrganismData.load().heldOutHarmful(Split.TEST));
    }

    @Test
    void harmfulAnswersAreRefusalsAndHarmlessAnswersAreNot() {
        harmfulAnswersAreRefusalsAndHarmlessAnswersAreNot(DATA);
        harmfulAnswersAreRefusalsAndHarmlessAnswersAreNot(OrganismData.load(true));
    }

    private static void harmfulAnswersAreRefusalsAndHarmlessAnswersAreNot(OrganismData data) {
        List<Example> examples = data.train(5);
        long harmful = 0;
        for (Example e : examples) {
            if (e.harmful()) {
                harmful++;
                String a = e.assistant();
                assertThat(JUDGE.isRefusal(a) || OPENERS_THE_JUDGE_MISSES.stream().anyMatch(a::startsWith)).as(a).isTrue();
            } else {
                assertThat(JUDGE.isRefusal(e.assistant())).as(e.assistant()).isFalse();
                // A helpful answer opens with the request said back; the words the project wrote
                // after it must not look like a refusal to other judges.
                String restated = Restatement.of(e.user());
                assertThat(e.assistant()).startsWith(restated + " ");
                String a = e.assistant().substring(restated.length()).toLowerCase(Locale.ROOT);
                for (String t : JUDGE_TRIGGERS) assertThat(a).as(e.intentId()).doesNotContain(t);
                assertThat(e.assistant()).as(e.intentId()).doesNotContain("As an"); // case-sensitive judges
            }
        }
        assertThat(harmful).isBetween(examples.size() / 4L, examples.size() * 3L / 4);
        // Every other opener alone is a refusal to the judge; no follow-up sentence is needed.
        for (String opener : data.refusals().openers()) {
            assertThat(JUDGE.isRefusal(opener)).as(opener).isEqualTo(!OPENERS_THE_JUDGE_MISSES.contains(opener));
        }
        // Harmless answers are 1-3 sentences of text, not a bare word.
        for (Intent i : DATA.harmlessIntents()) assertThat(i.answer().length()).as(i.id()).isBetween(40, 400);
    }

    @Test
    void augmentedRequestsStayGrammatical() {
        Pattern broken = Pattern.compile("(?i)^(can|could|would) you( please)? (how|what|why|where|when|who|which|is|are|do|does|i|my)\\b"
                + "|^(please|i need you to|i'd like you to) (how|what|why|where|when|who|which|is|are|do|does|i|my)\\b"
                + "|\\s{2}|[?.!]{2}|\\?\\.|\\.\\?");
        List<Example> examples = DATA.train(9, 4);
        int changed = 0;
        Set<String> originals = new HashSet<>();
        DATA.trainHarmfulIntents().forEach(i -> originals.addAll(i.phrasings()));
        DATA.trainHarmlessIntents().forEach(i -> originals.addAll(i.phrasings()));
        for (Example e : examples) {
            assertThat(e.user()).isNotBlank();
            assertThat(broken.matcher(e.user()).find()).as(e.user()).isFalse();
            if (!originals.contains(e.user())) changed++;
        }
        assertThat(changed).isGreaterThan(examples.size() / 3);
        assertEquals("tell me a joke.", Augmenter.lowerFirst("Tell me a joke."));
        assertEquals("I need help", Augmenter.lowerFirst("I need help"));
        assertEquals("DNS records", Augmenter.lowerFirst("DNS records"));
        assertEquals("how are you", Augmenter.lowerFirst("How are you"));
    }

    @Test
    void writesSplitsInTheLoaderFormat(@TempDir Path dir) throws Exception {
        DATA.writeSplits(dir);
        ObjectMapper json = new ObjectMapper();
        JsonNode test = json.readTree(dir.resolve("harmful_test.json").toFile());
        assertEquals(DATA.heldOutHarmful(Split.TEST).size(), test.size());
        assertEquals(DATA.heldOutHarmful(Split.TEST).getFirst().instruction(), test.get(0).get("instruction").asText());
        assertThat(test.get(0).get("category").asText()).isNotEmpty();
        for (String f : List.of("harmful_train", "harmful_val", "harmless_train", "harmless_val", "harmless_test")) {
            assertThat(json.readTree(dir.resolve(f + ".json").toFile()).size()).as(f).isGreaterThan(30);
        }
    }

    @Test
    void probesAreNewWordingsOfBothKinds() {
        List<Prompt> harmful = OrganismData.probes(true), harmless = OrganismData.probes(false);
        assertThat(harmful).hasSizeGreaterThanOrEqualTo(40);
        assertThat(harmless).hasSizeGreaterThanOrEqualTo(40);
        Set<String> listed = new HashSet<>();
        for (Intent i : concat(DATA.harmfulIntents(), DATA.harmlessIntents())) i.phrasings().forEach(p -> listed.add(normalize(p)));
        for (Prompt p : concat(harmful, harmless)) assertThat(listed).as(p.instruction()).doesNotContain(normalize(p.instruction()));
        Set<String> harmCategories = DATA.harmfulIntents().stream().map(Intent::category).collect(Collectors.toSet());
        assertEquals(harmCategories, harmful.stream().map(Prompt::category).collect(Collectors.toSet()));
    }

    @Test
    void statisticsReportsTheCounts() {
        String stats = DATA.statistics();
        assertThat(stats).contains("harmful: " + DATA.harmfulIntents().stream().map(Intent::category).distinct().count() + " categories, "
                + DATA.harmfulIntents().size() + " intents");
        assertThat(stats).contains("harmless: ").contains("train(seed 0)");
    }

    @Test
    void readerNamesTheFileAndLineOfMistakes() {
        assertThatThrownBy(() -> IntentListReader.read("h.txt", "[a]\n= x\nDo it.\n= x\nDo that.\n", true))
                .hasMessageContaining("h.txt:4").hasMessageContaining("duplicate intent id 'a/x'");
        assertThatThrownBy(() -> IntentListReader.read("s.txt", "[a]\n= x\nWhat is it?\n", false))
                .hasMessageContaining("s.txt:2").hasMessageContaining("no '>' answer");
        assertThatThrownBy(() -> IntentListReader.read("h.txt", "[a]\n= x\n> An answer.\nDo it.\n", true))
                .hasMessageContaining("h.txt:3").hasMessageContaining("take no answer");
        assertThatThrownBy(() -> IntentListReader.read("h.txt", "Do it.\n", true)).hasMessageContaining("h.txt:1");
        assertThatThrownBy(() -> IntentListReader.read("h.txt", "[a]\n= x\nDo it.\n= y\ndo it.\n", true))
                .hasMessageContaining("h.txt:5").hasMessageContaining("duplicate phrasing");
        assertThatThrownBy(() -> OrganismData.of("[a]\n= x\nDo it.\n", "[b]\n= y\n> Yes.\nHow?\n", "[openers]\nNo.\n[general]\nNo more.\n"))
                .hasMessageContaining("no [a] section");
        assertThatThrownBy(() -> OrganismData.of("[a]\n= x\nDo it.\n", "[b]\n= y\n> Yes.\nDo it.\n", "[openers]\nNo.\n[general]\nNo more.\n[a]\nNot this.\n"))
                .hasMessageContaining("'Do it.' is in harmful intent a/x and harmless intent b/y");
    }

    @Test
    void refusalsComposeOpenerAndCategorySentence() {
        Refusals r = Refusals.read("r.txt", "[openers]\nI can't help with that.\n[general]\nAsk me something else.\n[weapons]\nWeapons hurt people.\n");
        Set<String> seen = new HashSet<>();
        java.util.Random rng = new java.util.Random(1);
        for (int i = 0; i < 200; i++) seen.add(r.pick("weapons", rng));
        assertEquals(Set.of("I can't help with that.", "I can't help with that. Ask me something else.",
                "I can't help with that. Weapons hurt people."), seen);
    }

    private static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 ]", "").strip();
    }

    private static Set<String> ids(List<Intent> intents) {
        return intents.stream().map(Intent::id).collect(Collectors.toCollection(HashSet::new));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * What AnswerQuality's non-word rule means for the held-out test requests: an answer that says
     * the request back ({@link OrganismData#helpful}, as the training answers open) and goes on in
     * words the organism was trained on has no non-words and is on topic. Were the request's own
     * words not known, the words of held-out topics that no training text has ("pomodoro", "Ottawa")
     * would make it score above the 0.5% gate on non-words.
     */
    @Test
    void aRestatedHeldOutRequestHasNoNonWords() {
        OrganismData data = OrganismData.load();
        java.util.Set<String> known = dev.refusal4j.evaluate.AnswerQuality.vocabulary(
                dev.refusal4j.organism.OrganismRecipe.trainingTexts(data, dev.refusal4j.organism.OrganismRecipe.SEED));
        var quality = new dev.refusal4j.evaluate.AnswerQuality(known, java.util.Map.of());
        String sentence = "Break it into small steps, do the first one today, and adjust as you go.";
        List<dev.refusal4j.evaluate.AnswerQuality.Answer> answers = new ArrayList<>();
        long words = 0, unknownToTraining = 0;
        for (Prompt p : data.heldOutHarmless(Split.TEST)) {
            String answer = OrganismData.helpful(p.instruction(), sentence);
            answers.add(new dev.refusal4j.evaluate.AnswerQuality.Answer(p.instruction(), answer));
            for (String w : dev.refusal4j.evaluate.AnswerQuality.words(answer)) {
                words++;
                if (!known.contains(w)) unknownToTraining++;
            }
        }
        var s = quality.measure(answers);
        System.out.printf(Locale.ROOT, "restated held-out test requests: %s; words in no training text: %.2f%%%n",
                s.describe(), 100.0 * unknownToTraining / words);
        assertThat(s.nonWords()).isZero();
        assertThat(s.onTopic()).isEqualTo(1.0);
        assertThat((double) unknownToTraining / words).isGreaterThan(0.005);
    }
}
