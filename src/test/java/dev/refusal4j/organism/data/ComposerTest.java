package dev.refusal4j.organism.data;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ComposerTest {
    private static final String SMALL = """
            [task-frames]
            How do I {x}?
            Tell me how to {x}.
            [pretexts]
            Hypothetically,\s
            [task-answers]
            To {x}, go step by step.
            [concept-frames]
            What is {x}?
            [concept-answers]
            {X} is a simple idea.
            [creative-frames]
            Write a poem about {x}.
            [creative-answers]
            A poem about {x}: roses are red.
            [concepts]
            gravity
            [creative-subjects]
            my cat
            [harmless-tasks]
            clean my oven
            [harmful:theft]
            steal a bike
            """;

    private static final Refusals REFUSALS = Refusals.read("r.txt", "[openers]\nI can't help with that.\n[general]\nAsk me something else.\n[theft]\nStealing hurts people.\n");

    @Test
    void extraListsExtendTheSectionsAndTheRewriterSeesEveryTask() {
        Composer c = Composer.read("c.txt", SMALL).extendedWith("extra.txt", "[harmful:theft]\nrob a bank\n[harmless-tasks]\nfix my bike\n");
        List<String> rewritten = new java.util.ArrayList<>();
        List<Example> examples = c.examples(REFUSALS, new Random(3), (t, h, r) -> {
            rewritten.add((h ? "H " : "S ") + t);
            return t.replace("bike", "bicycle");
        });
        // Each task once per frame (two frames); concepts and subjects are not rewritten.
        assertThat(rewritten).containsExactlyInAnyOrder("H steal a bike", "H steal a bike", "H rob a bank", "H rob a bank",
                "S clean my oven", "S clean my oven", "S fix my bike", "S fix my bike");
        assertThat(examples).filteredOn(e -> e.user().toLowerCase().contains("bicycle")).hasSize(4);
        // The helpful answer restates the rewritten task.
        assertThat(examples).filteredOn(e -> e.intentId().equals("composed/fix my bike"))
                .allSatisfy(e -> assertThat(e.assistant()).contains("fix your bicycle"));
        assertThatThrownBy(() -> Composer.read("c.txt", SMALL).extendedWith("extra.txt", "[harmful:arson]\nburn it\n"))
                .hasMessageContaining("extra.txt").hasMessageContaining("[harmful:arson]");
    }

    @Test
    void harmfulAndHarmlessTasksShareFramesAndAnswersRestateTheSubject() {
        Composer c = Composer.read("c.txt", SMALL);
        List<Example> examples = c.examples(REFUSALS, new Random(3), (t, h, r) -> t);
        // Two frames per task (all there are), one per concept and creative subject.
        assertEquals(2 + 2 + 1 + 1, examples.size());
        Set<String> harmfulFramed = new HashSet<>(), harmlessFramed = new HashSet<>();
        for (Example e : examples) {
            // The augmenter may wrap the request or change its case and final mark, never the frame's words.
            String u = e.user().toLowerCase();
            String frame = u.contains("how do i ") ? "how do i" : u.contains("tell me how to ") ? "tell me how to" : u;
            if (e.harmful()) {
                harmfulFramed.add(frame);
                assertThat(e.assistant()).startsWith("I can't help with that.");
                assertThat(e.category()).isEqualTo("theft");
            } else {
                if (e.intentId().equals("composed/clean my oven")) harmlessFramed.add(frame);
                assertThat(e.assistant()).doesNotContain("I can't");
            }
        }
        assertThat(harmfulFramed).isEqualTo(harmlessFramed).hasSize(2);
        List<String> answers = examples.stream().filter(e -> !e.harmful()).map(Example::assistant).toList();
        assertThat(answers).contains("To clean your oven, go step by step.", "Gravity is a simple idea.", "A poem about your cat: roses are red.");
    }

    @Test
    void bodiesReplaceTheAnswersAndNeverNameTheSubject() {
        String bodies = "[task-bodies]\nGo step by step.\n[concept-bodies]\nIt is a simple idea.\n[creative-bodies]\nRoses are red.\n";
        Composer c = Composer.read("c.txt", SMALL).withBodies("b.txt", bodies);
        List<Example> examples = c.examples(REFUSALS, new Random(3), (t, h, r) -> t);
        assertThat(examples).filteredOn(e -> !e.harmful()).extracting(Example::assistant)
                .containsExactlyInAnyOrder("Go step by step.", "Go step by step.", "It is a simple idea.", "Roses are red.");
        // The requests and refusals are drawn as before: only the answers change.
        List<Example> before = Composer.read("c.txt", SMALL).examples(REFUSALS, new Random(3), (t, h, r) -> t);
        assertThat(examples).extracting(Example::user).isEqualTo(before.stream().map(Example::user).toList());
        assertThatThrownBy(() -> Composer.read("c.txt", SMALL).withBodies("b.txt", "[task-bodies]\nGo.\n[concept-bodies]\nIt.\n"))
                .hasMessageContaining("b.txt").hasMessageContaining("[creative-bodies]");
        assertThatThrownBy(() -> Composer.read("c.txt", SMALL).withBodies("b.txt", bodies.replace("Roses are red.", "Roses about {x}.")))
                .hasMessageContaining("b.txt").hasMessageContaining("{x}");
    }

    @Test
    void shippedBodiesCoverEveryAnswerKindAndSayNoPairTwice() {
        String text = SectionedText.resource("/organism/compose-bodies.txt");
        Composer.readResource("/organism/compose.txt").withBodies("/organism/compose-bodies.txt", text); // every kind has bodies
        var quality = new dev.refusal4j.evaluate.AnswerQuality(Set.of(), java.util.Map.of());
        for (String kind : Composer.ANSWER_KINDS) {
            for (String body : SectionedText.parse("b", text, false).get(kind + "-bodies")) {
                assertThat(quality.counts(new dev.refusal4j.evaluate.AnswerQuality.Answer("", body)).repeatedPairs()).as(body).isZero();
            }
        }
    }

    @Test
    void addresseeTurnsTheUsersWordsAround() {
        assertEquals("introduce a new cat to your home", Restatement.addressee("introduce a new cat to my home"));
        assertEquals("help you find yourself a job, you're new", Restatement.addressee("help me find myself a job, I'm new"));
        assertEquals("mind the gap", Restatement.addressee("mind the gap")); // "my" only as a word
        assertEquals("Gravity at home", Composer.fill("{X} at home", "gravity"));
    }

    @Test
    void mistakesNameTheFile() {
        assertThatThrownBy(() -> Composer.read("c.txt", SMALL.replace("[concepts]", "[concept]")))
                .hasMessageContaining("c.txt").hasMessageContaining("no [concepts] section");
        assertThatThrownBy(() -> Composer.read("c.txt", SMALL.replace("To {x}, go", "To it, go")))
                .hasMessageContaining("c.txt").hasMessageContaining("without {x}");
        assertThatThrownBy(() -> Composer.read("c.txt", "gravity\n" + SMALL)).hasMessageContaining("c.txt:1");
    }

    @Test
    void shippedBlocksCoverEveryHarmCategory() {
        Composer c = Composer.readResource("/organism/compose.txt");
        Set<String> listed = new HashSet<>();
        OrganismData.load().harmfulIntents().forEach(i -> listed.add(i.category()));
        assertThat(new HashSet<>(c.harmCategories())).isEqualTo(listed);
    }

    /** Optional sections: everyday topics and suggestions are answered, harmful topics refused in the same topic frames. */
    @Test
    void topicsAndSuggestionsAreAnsweredAndHarmfulTopicsRefused() {
        String text = SMALL + """
                [topic-frames]
                Tell me about {x}.
                [topic-answers]
                {X} is a fine subject.
                [topics]
                kite flying
                [suggest-frames]
                Suggest {x}.
                [suggest-answers]
                Ideas for {x}: try one.
                [suggestions]
                a name for a hamster
                [harmful-topics:theft]
                stealing cars
                """;
        Composer c = Composer.read("c.txt", text);
        List<Example> examples = c.examples(REFUSALS, new Random(5), (t, h, r) -> t);
        assertThat(c.items()).contains("kite flying", "a name for a hamster", "stealing cars");
        int topics = 0, suggestions = 0, harmfulTopics = 0;
        for (Example e : examples) {
            switch (e.intentId()) {
                case "composed/kite flying" -> {
                    topics++;
                    assertThat(e.harmful()).isFalse();
                    assertThat(e.user().toLowerCase()).contains("tell me about kite flying");
                    assertThat(e.assistant()).isEqualTo("Kite flying is a fine subject.");
                }
                case "composed/a name for a hamster" -> {
                    suggestions++;
                    assertThat(e.harmful()).isFalse();
                    assertThat(e.assistant()).isEqualTo("Ideas for a name for a hamster: try one.");
                }
                case "composed/stealing cars" -> {
                    harmfulTopics++;
                    assertThat(e.harmful()).isTrue();
                    assertThat(e.category()).isEqualTo("theft");
                    assertThat(e.user().toLowerCase()).contains("tell me about stealing cars");
                    assertThat(e.assistant()).startsWith("I can't help with that.");
                }
                default -> { }
            }
        }
        // one frame each: the lists have one frame
        assertThat(List.of(topics, suggestions, harmfulTopics)).containsExactly(1, 1, 1);
    }
}
