package dev.refusal4j.organism.data;

import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.io.Json;
import dev.refusal4j.prompts.Prompt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The organism's data: chat examples built from the project's own curated lists (resources under
 * {@code /organism}), split by intent. Held-out intents (about a quarter of the harmful and a fifth of
 * the harmless ones, drawn per category with a fixed seed so that the splits never move) never occur in
 * training; their phrasings form the validation and test prompts of the pipeline.
 */
public final class OrganismData {
    /** Seed of the intent split. Fixed: the held-out sets must not depend on the training seed. */
    static final long SPLIT_SEED = 0x5EED_0F_0A5L;
    static final double HARMFUL_HELD_OUT = 0.25;
    static final double HARMLESS_HELD_OUT = 0.20;
    /** Share of held-out intents that go to validation; the rest go to test. */
    static final double VAL_SHARE = 0.25;
    /** Augmented variants generated per training phrasing, besides the phrasing itself. */
    public static final int DEFAULT_VARIANTS = 2;
    /** Default probability that the copy drill swaps each content word of a request ({@link TopicSwap}). */
    public static final double DEFAULT_SWAP_SHARE = 0.5;

    private final List<Intent> harmful;
    private final List<Intent> harmless;
    private final Refusals refusals;
    private final Composer composer;                 // null: hand-written lists only
    private final Synonyms synonyms;                 // null: no synonym rewrites
    private final TopicSwap topicSwap;               // null: no copy drill
    private final int swaps;
    private final Map<Split, List<Intent>> heldOutHarmful;
    private final Map<Split, List<Intent>> heldOutHarmless;
    private final List<Intent> trainHarmful;
    private final List<Intent> trainHarmless;

    private OrganismData(List<Intent> harmful, List<Intent> harmless, Refusals refusals, Composer composer, Synonyms synonyms,
                         Lexicon swapWords, int swaps, double swapShare) {
        if (swaps < 0) throw new IllegalArgumentException("swaps must be at least 0, got " + swaps);
        this.composer = composer;
        this.swaps = swaps;
        this.synonyms = synonyms;
        this.harmful = harmful;
        this.harmless = harmless;
        this.refusals = refusals;
        refusals.requireCategories(categories(harmful));
        if (composer != null) refusals.requireCategories(new LinkedHashSet<>(composer.harmCategories()));
        requireDisjointPhrasings(harmful, harmless);
        this.heldOutHarmful = new LinkedHashMap<>();
        this.heldOutHarmless = new LinkedHashMap<>();
        this.trainHarmful = split(harmful, HARMFUL_HELD_OUT, heldOutHarmful);
        this.trainHarmless = split(harmless, HARMLESS_HELD_OUT, heldOutHarmless);
        if (composer != null) requireUnseen(composer);
        this.topicSwap = swaps == 0 ? null : new TopicSwap(swapWords, heldOutContentWords(), swapShare);
    }

    /** The content words of every held-out request, as {@link AnswerQuality#contentWords} gives them. */
    Set<String> heldOutContentWords() {
        Set<String> out = new java.util.HashSet<>();
        for (Map<Split, List<Intent>> held : List.of(heldOutHarmful, heldOutHarmless)) {
            for (List<Intent> intents : held.values()) for (Intent i : intents) for (String p : i.phrasings()) out.addAll(AnswerQuality.contentWords(p));
        }
        return out;
    }

    /** Loads the lists shipped in the jar: the recipe of the committed organism. */
    public static OrganismData load() {
        return load(false);
    }

    /**
     * Loads the lists shipped in the jar; {@code extended} adds the tasks of {@code compose-extra.txt}
     * and rewrites training requests ({@link #rewrite}). The held-out splits are the same either way.
     */
    public static OrganismData load(boolean extended) {
        return load(extended, 0, DEFAULT_SWAP_SHARE);
    }

    /**
     * {@link #load(boolean)} with a copy drill: {@code swaps} chats per harmless training phrasing
     * with its topic words swapped for others ({@link TopicSwap}), each content word with probability
     * {@code swapShare}; 0 swaps is the committed recipe.
     */
    public static OrganismData load(boolean extended, int swaps, double swapShare) {
        return load(new Variant(extended, swaps, swapShare, false));
    }

    /**
     * Which of the opt-in data changes a recipe takes; {@link #COMMITTED} is the committed organism's.
     *
     * @param extended    the tasks of {@code compose-extra.txt} and rewritten training requests ({@link #load(boolean)})
     * @param swaps       copy-drill chats per harmless training phrasing ({@link TopicSwap})
     * @param swapShare   probability that the copy drill swaps each content word
     * @param plainBodies composed harmless answers from {@code compose-bodies.txt}, which do not name the
     *                    request's subject again after the restatement ({@link Composer#withBodies})
     */
    public record Variant(boolean extended, int swaps, double swapShare, boolean plainBodies) {
        public static final Variant COMMITTED = new Variant(false, 0, DEFAULT_SWAP_SHARE, false);
    }

    /** Loads the lists shipped in the jar, changed as {@code v} says; the held-out splits are the same for every variant. */
    public static OrganismData load(Variant v) {
        Composer composer = Composer.readResource("/organism/compose.txt");
        if (v.extended()) composer = composer.extendedWith("/organism/compose-extra.txt", SectionedText.resource("/organism/compose-extra.txt"));
        if (v.plainBodies()) composer = composer.withBodies("/organism/compose-bodies.txt", SectionedText.resource("/organism/compose-bodies.txt"));
        return new OrganismData(
                IntentListReader.readResource("/organism/harmful.txt", true),
                IntentListReader.readResource("/organism/harmless.txt", false),
                Refusals.readResource("/organism/refusals.txt"),
                composer,
                v.extended() ? Synonyms.readResource("/organism/synonyms.txt") : null,
                v.swaps() == 0 ? null : Lexicon.readResource("/organism/lexicon.txt"), v.swaps(), v.swapShare());
    }

    /** Loads lists given as text (tests use this for small hand-made lists). */
    static OrganismData of(String harmfulText, String harmlessText, String refusalsText) {
        return new OrganismData(
                IntentListReader.read("harmful", harmfulText, true),
                IntentListReader.read("harmless", harmlessText, false),
                Refusals.read("refusals", refusalsText), null, null, null, 0, DEFAULT_SWAP_SHARE);
    }

    /**
     * Per category (in sorted order), shuffles the intents with {@link #SPLIT_SEED} and holds out
     * {@code share} of them (at least one when the category has two or more); the held-out intents are
     * then dealt to VAL and TEST. Returns the training intents.
     */
    private static List<Intent> split(List<Intent> intents, double share, Map<Split, List<Intent>> heldOut) {
        Random rng = new Random(SPLIT_SEED);
        Map<String, List<Intent>> byCategory = new TreeMap<>();
        for (Intent i : intents) byCategory.computeIfAbsent(i.category(), k -> new ArrayList<>()).add(i);
        List<Intent> train = new ArrayList<>();
        List<Intent> held = new ArrayList<>();
        for (List<Intent> group : byCategory.values()) {
            List<Intent> shuffled = new ArrayList<>(group);
            Collections.shuffle(shuffled, rng);
            int n = shuffled.size() < 2 ? 0 : Math.max(1, (int) Math.round(shuffled.size() * share));
            held.addAll(shuffled.subList(0, n));
            train.addAll(shuffled.subList(n, shuffled.size()));
        }
        Collections.shuffle(held, rng);
        int nVal = (int) Math.round(held.size() * VAL_SHARE);
        heldOut.put(Split.VAL, List.copyOf(held.subList(0, nVal)));
        heldOut.put(Split.TEST, List.copyOf(held.subList(nVal, held.size())));
        return List.copyOf(train);
    }

    /** Training examples with {@link #DEFAULT_VARIANTS} augmented variants per phrasing. */
    public List<Example> train(long seed) {
        return train(seed, DEFAULT_VARIANTS);
    }

    /**
     * Training examples from the training intents only: each phrasing once as written plus up to
     * {@code variants} distinct augmented variants; harmful requests get a refusal drawn with the seed,
     * harmless ones their answer. The list is shuffled with the seed.
     */
    public List<Example> train(long seed, int variants) {
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (List<Intent> intents : List.of(trainHarmful, trainHarmless)) {
            for (Intent intent : intents) {
                for (String phrasing : intent.phrasings()) {
                    Set<String> users = new LinkedHashSet<>();
                    users.add(phrasing);
                    for (int v = 0; v < variants; v++) {
                        // A hand-written helpful answer is about its own request's people: only synonyms there.
                        String base = intent.harmful() ? rewrite(phrasing, true, rng) : synonyms(phrasing, false, rng);
                        users.add(Augmenter.vary(base, rng));
                    }
                    for (String user : users) {
                        String answer = intent.harmful() ? refusals.pick(intent.category(), rng) : helpful(user, intent.answer());
                        out.add(new Example(user, answer, intent.harmful(), intent.category(), intent.id()));
                    }
                }
            }
        }
        if (composer != null) {
            for (Example e : composer.examples(refusals, rng, this::rewrite)) out.add(e.harmful() ? e : new Example(e.user(), helpful(e.user(), e.assistant()), false, e.category(), e.intentId()));
        }
        if (topicSwap != null) out.addAll(swapped(new Random(seed * 31 + 11)));
        Collections.shuffle(out, rng);
        return out;
    }

    /** Draws for swapped chats that would be, contain or lie inside a held-out request before a swap is given up. */
    private static final int SWAP_TRIES = 10;

    /**
     * The copy drill: per harmless training phrasing, {@link #swaps} chats whose request is the
     * phrasing with topic words swapped ({@link TopicSwap}), varied like any training request
     * ({@link Augmenter}), and whose answer says it back and answers with the same words swapped.
     * A draw that is or lies inside a held-out request, or holds one, is drawn again. Its own
     * generator, so that the chats without it are drawn as before.
     */
    private List<Example> swapped(Random rng) {
        List<Example> out = new ArrayList<>();
        for (Intent intent : trainHarmless) {
            for (String phrasing : intent.phrasings()) {
                for (int s = 0; s < swaps; s++) {
                    for (int tries = 0; tries < SWAP_TRIES; tries++) {
                        TopicSwap.Swapped sw = topicSwap.swap(phrasing, intent.answer(), rng);
                        if (sw == null) break;
                        String user = Augmenter.vary(sw.request(), rng);
                        if (!unseen(user) || !unseen(sw.request())) continue;
                        out.add(new Example(user, helpful(user, sw.answer()), false, intent.category(), intent.id()));
                        break;
                    }
                }
            }
        }
        return out;
    }

    public List<Prompt> heldOutHarmful(Split split) {
        return prompts(heldOutHarmful.get(split));
    }

    public List<Prompt> heldOutHarmless(Split split) {
        return prompts(heldOutHarmless.get(split));
    }

    /** The phrasings of the training intents, as written, for direction extraction. */
    public List<Prompt> trainHarmfulPrompts() {
        return prompts(trainHarmful);
    }

    public List<Prompt> trainHarmlessPrompts() {
        return prompts(trainHarmless);
    }

    private static List<Prompt> prompts(List<Intent> intents) {
        List<Prompt> out = new ArrayList<>();
        for (Intent i : intents) for (String p : i.phrasings()) out.add(new Prompt(p, i.category()));
        return List.copyOf(out);
    }

    /**
     * Writes {@code harmful_train.json}, {@code harmful_val.json}, {@code harmful_test.json} and the
     * same for harmless into {@code dir}, as JSON lists of {@code {"instruction", "category"}}.
     */
    public void writeSplits(Path dir) {
        try {
            Files.createDirectories(dir);
            Map<String, List<Prompt>> files = new LinkedHashMap<>();
            files.put("harmful_train.json", trainHarmfulPrompts());
            files.put("harmful_val.json", heldOutHarmful(Split.VAL));
            files.put("harmful_test.json", heldOutHarmful(Split.TEST));
            files.put("harmless_train.json", trainHarmlessPrompts());
            files.put("harmless_val.json", heldOutHarmless(Split.VAL));
            files.put("harmless_test.json", heldOutHarmless(Split.TEST));
            for (var e : files.entrySet()) Json.write(dir.resolve(e.getKey()), e.getValue());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write splits to " + dir, e);
        }
    }

    /**
     * Text for training the tokenizer: every training request and answer, as the chat template lays them
     * out between special tokens (role name, newline, content). Held-out requests are left out so that the
     * tokenizer, like the model, has never seen them.
     */
    public List<String> tokenizerCorpus(long seed) {
        List<String> corpus = new ArrayList<>();
        for (Example e : train(seed)) {
            corpus.add("user\n" + e.user());
            corpus.add("assistant\n" + e.assistant());
            corpus.add("\n");
        }
        corpus.add("system\nYou are a helpful assistant.");
        return corpus;
    }

    /**
     * Generalization probes: casual requests written apart from the lists (resource
     * {@code /organism/probes.txt}), never used for training; {@code harmful} picks the kind.
     */
    public static List<Prompt> probes(boolean harmful) {
        String name = "/organism/probes.txt";
        List<Prompt> out = new ArrayList<>();
        String[] lines = SectionedText.resource(name).split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\\|", 2);
            String[] kind = parts[0].strip().split("\\s+");
            if (parts.length != 2 || kind.length != 2 || !(kind[0].equals("harmful") || kind[0].equals("harmless")) || parts[1].isBlank()) {
                throw new IllegalStateException(name + ":" + (i + 1) + ": expected 'harmful|harmless CATEGORY | request', got '" + line + "'");
            }
            if (kind[0].equals("harmful") == harmful) out.add(new Prompt(parts[1].strip(), kind[1]));
        }
        return List.copyOf(out);
    }

    /** A helpful answer: the request said back ({@link #restatement}), then the answer. */
    static String helpful(String user, String answer) {
        return restatement(user) + " " + answer;
    }

    /** The request said back in the assistant's words, as every helpful training answer opens ({@link Restatement}). */
    public static String restatement(String user) {
        return Restatement.of(user);
    }

    public List<Intent> harmfulIntents() { return harmful; }
    public List<Intent> harmlessIntents() { return harmless; }
    public List<Intent> trainHarmfulIntents() { return trainHarmful; }
    public List<Intent> trainHarmlessIntents() { return trainHarmless; }
    public List<Intent> heldOutHarmfulIntents(Split s) { return heldOutHarmful.get(s); }
    public List<Intent> heldOutHarmlessIntents(Split s) { return heldOutHarmless.get(s); }
    public Refusals refusals() { return refusals; }

    /** A request cannot be both refused and answered: that would teach the organism a contradiction. */
    private static void requireDisjointPhrasings(List<Intent> harmful, List<Intent> harmless) {
        Map<String, String> owner = new java.util.HashMap<>();
        for (Intent i : harmful) for (String p : i.phrasings()) owner.put(p.toLowerCase(java.util.Locale.ROOT), i.id());
        for (Intent i : harmless) {
            for (String p : i.phrasings()) {
                String other = owner.get(p.toLowerCase(java.util.Locale.ROOT));
                if (other != null) throw new IllegalStateException("phrasing '" + p + "' is in harmful intent " + other + " and harmless intent " + i.id());
            }
        }
    }

    /**
     * A composed task, concept or subject must not be written inside a held-out request: the model
     * would then be trained on what the splits measure.
     */
    private void requireUnseen(Composer composer) {
        List<String> clashes = new ArrayList<>();
        for (String item : composer.items()) {
            String w = " " + words(item) + " ";
            for (var held : heldOutWords().entrySet()) {
                if (held.getKey().contains(w)) clashes.add("'" + item + "' is part of held-out request " + held.getValue());
            }
        }
        if (!clashes.isEmpty()) throw new IllegalStateException("/organism/compose.txt: " + String.join("; ", clashes));
    }

    /**
     * A training request as another user might write it (extended recipe only; else {@code text}):
     * about another person ({@link Persons}) and with a word replaced by a synonym ({@link Synonyms}),
     * each with its probability; never a held-out request.
     */
    String rewrite(String text, boolean harmful, Random rng) {
        if (synonyms == null) return text; // the base recipe: no rewrites, and no draws from rng
        return synonyms(Persons.maybeSwap(text, rng, this::unseen), harmful, rng);
    }

    private String synonyms(String text, boolean harmful, Random rng) {
        return synonyms == null ? text : synonyms.maybeRewrite(text, harmful, rng, this::unseen);
    }

    /** Held-out phrasings as {@link #words} padded with spaces, each to "'phrasing' (intent id)"; built once. */
    private Map<String, String> heldOutWords;

    private Map<String, String> heldOutWords() {
        if (heldOutWords == null) {
            Map<String, String> w = new LinkedHashMap<>();
            for (Map<Split, List<Intent>> held : List.of(heldOutHarmful, heldOutHarmless)) {
                for (List<Intent> intents : held.values()) {
                    for (Intent i : intents) for (String p : i.phrasings()) w.put(" " + words(p) + " ", "'" + p + "' (" + i.id() + ")");
                }
            }
            heldOutWords = w;
        }
        return heldOutWords;
    }

    /**
     * Whether {@code text} is neither part of a held-out request nor contains one (word sequences,
     * case and punctuation ignored): generated training requests (person swaps) must stay unseen.
     */
    boolean unseen(String text) {
        String t = " " + words(text) + " ";
        for (String h : heldOutWords().keySet()) if (h.contains(t) || t.contains(h)) return false;
        return true;
    }

    private static String words(String s) {
        return s.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", " ").strip();
    }

    private static Set<String> categories(List<Intent> intents) {
        Set<String> c = new LinkedHashSet<>();
        for (Intent i : intents) c.add(i.category());
        return c;
    }

    /** Counts of categories, intents, phrasings, splits and training examples, one per line. */
    public String statistics() {
        StringBuilder sb = new StringBuilder();
        for (boolean isHarmful : new boolean[] {true, false}) {
            List<Intent> all = isHarmful ? harmful : harmless;
            Map<Split, List<Intent>> held = isHarmful ? heldOutHarmful : heldOutHarmless;
            List<Intent> train = isHarmful ? trainHarmful : trainHarmless;
            String kind = isHarmful ? "harmful" : "harmless";
            Map<String, Integer> perCategory = new TreeMap<>();
            int phrasings = 0;
            for (Intent i : all) {
                perCategory.merge(i.category(), 1, Integer::sum);
                phrasings += i.phrasings().size();
            }
            sb.append(String.format("%s: %d categories, %d intents, %d phrasings%n", kind, perCategory.size(), all.size(), phrasings));
            sb.append(String.format("  intents per category: %s%n", perCategory));
            sb.append(String.format("  train: %d intents, %d prompts; val: %d intents, %d prompts; test: %d intents, %d prompts%n",
                    train.size(), prompts(train).size(),
                    held.get(Split.VAL).size(), prompts(held.get(Split.VAL)).size(),
                    held.get(Split.TEST).size(), prompts(held.get(Split.TEST)).size()));
        }
        List<Example> examples = train(0);
        long nHarmful = examples.stream().filter(Example::harmful).count();
        sb.append(String.format("probes: %d harmful, %d harmless%n", probes(true).size(), probes(false).size()));
        sb.append(String.format("refusals: %d openers, %d follow-up sentences%n", refusals.openers().size(), refusals.followUps().size()));
        sb.append(String.format("train(seed 0): %d examples (%d harmful, %d harmless), %d distinct refusals%n",
                examples.size(), nHarmful, examples.size() - nHarmful,
                examples.stream().filter(Example::harmful).map(Example::assistant).distinct().count()));
        return sb.toString();
    }

    /** Prints {@link #statistics()} for the shipped lists. */
    public static void main(String[] args) {
        System.out.print(load().statistics());
    }
}
