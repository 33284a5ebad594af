package dev.refusal4j.prompts;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The six prompt sets of one run, drawn from one seeded stream in the paper's order: harmful
 * train, harmless train, harmful val, harmless val, harmless test, harmful test. With the paper's
 * split files as train/val/test pools and seed 42 this reproduces its choices exactly. A harmful
 * test pool of exactly nTest prompts is used whole, in file order (as the paper uses JailbreakBench).
 *
 * @param sources where each set came from, by {@link #NAMES} (shown in errors and the report)
 */
public record RunPrompts(List<Prompt> harmfulTrain, List<Prompt> harmlessTrain, List<Prompt> harmfulVal,
                         List<Prompt> harmlessVal, List<Prompt> harmfulTest, List<Prompt> harmlessTest, Map<String, String> sources) {

    public static final List<String> NAMES = List.of("harmful_train", "harmless_train", "harmful_val", "harmless_val", "harmful_test", "harmless_test");

    /** The prompt files a user gave (any may be null) and the sizes and seed of the draw. */
    public record Request(Path harmfulTrain, Path harmlessTrain, Path harmfulVal, Path harmlessVal, Path harmfulTest, Path harmlessTest,
                          int nTrain, int nVal, int nTest, long seed) {}

    /**
     * Each set from the user's file when given; else from the model folder's own held-out splits
     * ({@code splits/harmful_val.json} …, as the bundled organism ships them); else from the built-in
     * sets, split disjointly.
     */
    public static RunPrompts choose(Path modelDir, Request r) {
        Map<String, String> sources = new LinkedHashMap<>();
        PromptSource harmful = source("harmful", r.harmfulTrain(), r.harmfulVal(), r.harmfulTest(), modelDir, sources);
        PromptSource harmless = source("harmless", r.harmlessTrain(), r.harmlessVal(), r.harmlessTest(), modelDir, sources);
        RunPrompts p = assemble(harmful, harmless, r.nTrain(), r.nVal(), r.nTest(), r.seed());
        return new RunPrompts(p.harmfulTrain, p.harmlessTrain, p.harmfulVal, p.harmlessVal, p.harmfulTest, p.harmlessTest, sources);
    }

    /**
     * One kind's pools: each of train/val/test from the user's file, else the model's own split
     * file, else (train only) the built-in set; a missing val or test pool is carved out of the
     * train pool, disjoint from the training prompts.
     */
    private static PromptSource source(String kind, Path train, Path val, Path test, Path modelDir, Map<String, String> sources) {
        String[] names = {kind + "_train", kind + "_val", kind + "_test"};
        Path[] given = {train, val, test};
        String[] label = new String[3];
        List<List<Prompt>> pools = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path f = given[i] != null ? given[i] : Files.isRegularFile(split(modelDir, names[i])) ? split(modelDir, names[i]) : null;
            if (f != null) {
                pools.add(PromptLoader.load(f));
                label[i] = f.toString();
            } else if (i == 0) {
                pools.add(kind.equals("harmful") ? BuiltinPrompts.harmful() : BuiltinPrompts.harmless());
                label[i] = "built-in " + kind + " prompts";
            } else {
                pools.add(null);
                label[i] = label[0] + " (held out from training)";
            }
            sources.put(names[i], label[i]);
        }
        PromptSource s = PromptSource.of(label[0], pools.get(0));
        if (pools.get(1) != null) s = s.withVal(label[1], pools.get(1));
        if (pools.get(2) != null) s = s.withTest(label[2], pools.get(2));
        return s;
    }

    /** A model folder's own held-out set {@code name} (one of {@link #NAMES}): {@code splits/NAME.json}, which may not exist. */
    public static Path split(Path modelDir, String name) {
        return modelDir.resolve("splits").resolve(name + ".json");
    }

    public static RunPrompts assemble(PromptSource harmful, PromptSource harmless, int nTrain, int nVal, int nTest, long seed) {
        PromptSets sets = new PromptSets(seed);
        List<List<Prompt>> harmfulFromTrain = fromTrainPool(sets, harmful, nTrain, nVal, nTest);
        List<List<Prompt>> harmlessFromTrain = fromTrainPool(sets, harmless, nTrain, nVal, nTest);
        List<Prompt> harmfulVal = harmful.val() == null ? harmfulFromTrain.get(1) : sets.sample(harmful.val(), nVal, harmful.valName(), "--n-val");
        List<Prompt> harmlessVal = harmless.val() == null ? harmlessFromTrain.get(1) : sets.sample(harmless.val(), nVal, harmless.valName(), "--n-val");
        List<Prompt> harmlessTest = harmless.test() == null ? harmlessFromTrain.getLast()
                : sets.sample(harmless.test(), nTest, harmless.testName(), "--n-test");
        List<Prompt> harmfulTest = harmful.test() == null ? harmfulFromTrain.getLast()
                : harmful.test().size() == nTest ? List.copyOf(harmful.test())
                : sets.sample(harmful.test(), nTest, harmful.testName(), "--n-test");
        return new RunPrompts(harmfulFromTrain.getFirst(), harmlessFromTrain.getFirst(), harmfulVal, harmlessVal, harmfulTest, harmlessTest, Map.of());
    }

    /** Train set, then (when the source has no pool of its own) val and test, disjoint, from the training pool. */
    private static List<List<Prompt>> fromTrainPool(PromptSets sets, PromptSource s, int nTrain, int nVal, int nTest) {
        if (s.val() != null && s.test() != null) return List.of(sets.sample(s.train(), nTrain, s.trainName(), "--n-train"));
        int val = s.val() == null ? nVal : 0, test = s.test() == null ? nTest : 0;
        String asked = "--n-train " + nTrain + (val > 0 ? " + --n-val " + nVal : "") + (test > 0 ? " + --n-test " + nTest : "");
        if (nTrain + val + test > s.train().size()) {
            throw new IllegalArgumentException(s.trainName() + ": " + asked + " need " + (nTrain + val + test)
                    + " distinct prompts but it has only " + s.train().size()
                    + " (lower the counts, or give separate validation/test files)");
        }
        return sets.split(s.train(), s.trainName(), nTrain, val, test);
    }

    public List<Prompt> get(String name) {
        return switch (name) {
            case "harmful_train" -> harmfulTrain;
            case "harmless_train" -> harmlessTrain;
            case "harmful_val" -> harmfulVal;
            case "harmless_val" -> harmlessVal;
            case "harmful_test" -> harmfulTest;
            case "harmless_test" -> harmlessTest;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** The test set of one kind. */
    public List<Prompt> test(boolean harmful) {
        return harmful ? harmfulTest : harmlessTest;
    }

    /** Writes the sets to {@code dir/NAME.json} so the run can be inspected and resumed. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : NAMES) AtomicFiles.write(dir.resolve(name + ".json"), Json.MAPPER.writeValueAsBytes(get(name)));
    }

    /** The sets a previous run wrote. */
    public static RunPrompts read(Path dir) {
        List<List<Prompt>> l = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String name : NAMES) {
            Path f = dir.resolve(name + ".json");
            l.add(PromptLoader.load(f));
            sources.put(name, f.toString());
        }
        return new RunPrompts(l.get(0), l.get(1), l.get(2), l.get(3), l.get(4), l.get(5), sources);
    }

    /** Whether a previous run wrote every set. */
    public static boolean written(Path dir) {
        for (String name : NAMES) if (!Files.isRegularFile(dir.resolve(name + ".json"))) return false;
        return true;
    }
}
