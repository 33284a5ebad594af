package dev.refusal4j.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.refusal4j.prompts.BuiltinPrompts;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.prompts.PromptSource;
import dev.refusal4j.prompts.RunPrompts;

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
 * the paper's order ({@link RunPrompts}).
 */
public record Datasets(List<Prompt> harmfulTrain, List<Prompt> harmlessTrain, List<Prompt> harmfulVal,
                       List<Prompt> harmlessVal, List<Prompt> harmfulTest, List<Prompt> harmlessTest, Map<String, String> sources) {

    public static final String[] NAMES = {"harmful_train", "harmless_train", "harmful_val", "harmless_val", "harmful_test", "harmless_test"};

    public static Datasets choose(RunConfig c) {
        Path splits = c.model.resolve("splits");
        Map<String, String> sources = new LinkedHashMap<>();
        PromptSource harmful = source("harmful", c.harmfulTrain, c.harmfulVal, c.harmfulTest, splits, sources);
        PromptSource harmless = source("harmless", c.harmlessTrain, c.harmlessVal, c.harmlessTest, splits, sources);
        RunPrompts r = RunPrompts.assemble(harmful, harmless, c.nTrain, c.nVal, c.nTest, c.seed);
        return new Datasets(r.harmfulTrain(), r.harmlessTrain(), r.harmfulVal(), r.harmlessVal(), r.harmfulTest(), r.harmlessTest(), sources);
    }

    /**
     * One kind's pools: each of train/val/test from the user's file, else the model's own split
     * file, else (train only) the built-in set; a missing val or test pool is carved out of the
     * train pool, disjoint from the training prompts.
     */
    private static PromptSource source(String kind, Path train, Path val, Path test, Path splits, Map<String, String> sources) {
        String[] names = {kind + "_train", kind + "_val", kind + "_test"};
        Path[] given = {train, val, test};
        String[] label = new String[3];
        List<List<Prompt>> pools = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path f = given[i] != null ? given[i] : Files.isRegularFile(splits.resolve(names[i] + ".json")) ? splits.resolve(names[i] + ".json") : null;
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
