package dev.refusal4j.prompts;

import java.util.List;

/**
 * Where one kind of prompt (harmful or harmless) comes from: a training pool and, optionally,
 * separate validation and test pools. Names are shown in errors (a file path, or "built-in harmful").
 * Missing pools are carved out of the training pool, disjoint from the training prompts.
 */
public record PromptSource(String trainName, List<Prompt> train, String valName, List<Prompt> val, String testName, List<Prompt> test) {
    public static PromptSource of(String name, List<Prompt> pool) {
        return new PromptSource(name, pool, null, null, null, null);
    }

    public PromptSource withVal(String name, List<Prompt> prompts) {
        return new PromptSource(trainName, train, name, prompts, testName, test);
    }

    public PromptSource withTest(String name, List<Prompt> prompts) {
        return new PromptSource(trainName, train, valName, val, name, prompts);
    }
}
