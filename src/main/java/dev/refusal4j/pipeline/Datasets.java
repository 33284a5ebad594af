package dev.refusal4j.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.refusal4j.data.prompts.BuiltinPrompts;
import dev.refusal4j.data.prompts.Prompt;
import dev.refusal4j.data.prompts.PromptLoader;
import dev.refusal4j.data.prompts.PromptSets;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The six prompt sets of a run. Each comes from the user's file when given; else from the model
 * directory's own held-out splits ({@code splits/harmful_val.json} ..., as the bundled organism
 * ships them); else from the built-in sets, split disjointly. Sampling uses one seeded stream in
 * the paper's order.
 */
public record Datasets(List<Prompt> harmfulTrain, List<Prompt> harmlessTrain, List<Prompt> harmfulVal,
                       List<Prompt> harmlessVal, List<Prompt> harmfulTest, List<Prompt> harmlessTest, Map<String, String> sources) {

    public static final String[] NAMES = {"harmful_train", "harmless_train", "harmful_val", "harmless_val", "harmful_test", "harmless_test"};

    public static Datasets choose(RunConfig c) {
        Path splits = c.model.resolve("splits");
        Path[] given = {c.harmfulTrain, c.harmlessTrain, c.harmfulVal, c.harmlessVal, c.harmfulTest, c.harmlessTest};
        int[] n = {c.nTrain, c.nTrain, c.nVal, c.nVal, c.nTest, c.nTest};
        String[] option = {"--n-train", "--n-train", "--n-val", "--n-val", "--n-test", "--n-test"};
        List<List<Prompt>> pools = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        List<Prompt> builtinHarmful = null, builtinHarmless = null;
        for (int i = 0; i < 6; i++) {
            String name = NAMES[i];
            Path modelSplit = splits.resolve(name + ".json");
            if (given[i] != null) {
                pools.add(PromptLoader.load(given[i]));
                sources.put(name, given[i].toString());
            } else if (Files.isRegularFile(modelSplit)) {
                pools.add(PromptLoader.load(modelSplit));
                sources.put(name, modelSplit.toString());
            } else {
                boolean harmful = name.startsWith("harmful");
                if (harmful && builtinHarmful == null) builtinHarmful = BuiltinPrompts.harmful();
                if (!harmful && builtinHarmless == null) builtinHarmless = BuiltinPrompts.harmless();
                List<Prompt> all = harmful ? builtinHarmful : builtinHarmless;
                pools.add(builtinPart(all, name, c.nVal, c.nTest));
                sources.put(name, "built-in " + (harmful ? "harmful" : "harmless") + " prompts (" + split(name) + " part)");
            }
        }
        PromptSets sets = new PromptSets(c.seed);
        List<List<Prompt>> chosen = new ArrayList<>();
        // the paper's order: harmful train, harmless train, harmful val, harmless val, then tests
        for (int i = 0; i < 6; i++) chosen.add(sets.sample(pools.get(i), n[i], sources.get(NAMES[i]), option[i]));
        return new Datasets(chosen.get(0), chosen.get(1), chosen.get(2), chosen.get(3), chosen.get(4), chosen.get(5), sources);
    }

    private static String split(String name) {
        return name.substring(name.indexOf('_') + 1);
    }

    /**
     * Built-in sets are shuffled once with a fixed seed (the files are grouped by category) and cut
     * into disjoint parts: the last nTest prompts for test, the nVal before them for validation,
     * the rest for training.
     */
    static List<Prompt> builtinPart(List<Prompt> all, String name, int nVal, int nTest) {
        List<Prompt> shuffled = new ArrayList<>(all);
        java.util.Collections.shuffle(shuffled, new java.util.Random(20240726L));
        int testFrom = Math.max(0, shuffled.size() - nTest), valFrom = Math.max(0, testFrom - nVal);
        return switch (split(name)) {
            case "train" -> shuffled.subList(0, valFrom);
            case "val" -> shuffled.subList(valFrom, testFrom);
            default -> shuffled.subList(testFrom, shuffled.size());
        };
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

    /** Writes the chosen prompts to {@code dir/NAME.json} so the run can be inspected and resumed. */
    public void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        for (String name : NAMES) Artifacts.writeAtomically(dir.resolve(name + ".json"), json.writeValueAsBytes(get(name)));
    }

    /** The sets a previous run wrote. */
    public static Datasets read(Path dir) {
        List<List<Prompt>> l = new ArrayList<>();
        Map<String, String> sources = new LinkedHashMap<>();
        for (String name : NAMES) {
            Path f = dir.resolve(name + ".json");
            l.add(PromptLoader.load(f));
            sources.put(name, f.toString());
        }
        return new Datasets(l.get(0), l.get(1), l.get(2), l.get(3), l.get(4), l.get(5), sources);
    }
}
