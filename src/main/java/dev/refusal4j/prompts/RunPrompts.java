package dev.refusal4j.prompts;

import java.util.List;

/**
 * The six prompt sets of one run, drawn from one seeded stream in the paper's order: harmful
 * train, harmless train, harmful val, harmless val, harmless test, harmful test. With the paper's
 * split files as train/val/test pools and seed 42 this reproduces its choices exactly. A harmful
 * test pool of exactly nTest prompts is used whole, in file order (as the paper uses JailbreakBench).
 */
public record RunPrompts(List<Prompt> harmfulTrain, List<Prompt> harmlessTrain, List<Prompt> harmfulVal,
                         List<Prompt> harmlessVal, List<Prompt> harmfulTest, List<Prompt> harmlessTest) {

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
        return new RunPrompts(harmfulFromTrain.getFirst(), harmlessFromTrain.getFirst(), harmfulVal, harmlessVal, harmfulTest, harmlessTest);
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
}
