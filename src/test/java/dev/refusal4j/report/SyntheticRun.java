package dev.refusal4j.report;


import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.artifacts.SuffixAnalysisFile;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes the artifacts of a made-up run (seeded random scores) in the formats `refusal4j run`
 * produces, with a few planted values the tests look for: the lowest bypass score at
 * (position -2, layer 5), which is kept and therefore selected; a bypass score of exactly 0 at
 * (-3, 1); a NaN candidate; and model output that tries to inject markup.
 */
public final class SyntheticRun {
    public static final int LAYERS = 10;
    public static final List<Integer> POSITIONS = List.of(-3, -2, -1);
    public static final int SEL_POSITION = -2, SEL_LAYER = 5;
    public static final double MIN_BYPASS = -9.5, MAX_BYPASS = 6.0;
    public static final String INJECTION = "Sure <script>alert(1)</script> & \"quotes\" 'single' </div></td></table>";
    public static final List<String> CATEGORIES = List.of("weapons", "fraud", "privacy");
    /** The completion files in the order the report shows them. */
    static final java.util.List<String> CONDITIONS = java.util.Arrays.stream(dev.refusal4j.artifacts.CompletionSet.values())
            .map(dev.refusal4j.artifacts.CompletionSet::key).toList();
    static final double[] RATES = {0.97, 0.02, 0.01, 0.03, 0.95}; // in SyntheticRun.CONDITIONS order

    private static final ObjectMapper JSON = new ObjectMapper();

    private SyntheticRun() {}

    public static void write(Path dir, long seed) throws IOException {
        Files.createDirectories(dir.resolve("completions"));
        Random rnd = new Random(seed);
        ObjectNode c = JSON.createObjectNode().put("model", "synthetic-chat").put("num_layers", LAYERS);
        ArrayNode pos = c.putArray("positions");
        POSITIONS.forEach(pos::add);
        ArrayNode list = c.putArray("candidates");
        int pruned = (int) (LAYERS * 0.8);
        for (int p : POSITIONS) {
            for (int l = 0; l < LAYERS; l++) {
                double bypass = -8 + 13.5 * rnd.nextDouble(); // in (-8, 5.5): inside the planted extremes
                double induce = -3 + 10 * rnd.nextDouble();
                double kl = Math.pow(10, -3 + 3 * rnd.nextDouble()); // 1e-3 .. 1
                if (p == SEL_POSITION && l == SEL_LAYER) {
                    bypass = MIN_BYPASS;
                    induce = 4;
                    kl = 0.05;
                }
                if (p == -3 && l == 1) bypass = 0;
                if (p == -1 && l == 9) bypass = MAX_BYPASS;
                boolean nan = p == -1 && l == 2;
                String filtered = nan ? "nan" : l >= pruned ? "layer >= " + pruned : kl > 0.1 ? "kl > 0.1" : induce < 0 ? "induce < 0" : null;
                ObjectNode o = list.addObject().put("position", p).put("layer", l)
                        .put("bypass_score", bypass).put("induce_score", induce);
                if (nan) o.put("kl_score", Double.NaN); else o.put("kl_score", kl);
                if (filtered == null) o.putNull("filtered"); else o.put("filtered", filtered);
            }
        }
        c.putObject("selected").put("position", SEL_POSITION).put("layer", SEL_LAYER);
        c.putObject("thresholds").put("kl", 0.1).put("induce", 0.0).put("prune_layer_fraction", 0.2);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("candidates.json").toFile(), c);

        ObjectNode d = JSON.createObjectNode().put("layer", SEL_LAYER).put("position", SEL_POSITION).put("norm", 7.25)
                .put("dims", 896).put("model", "synthetic-chat").put("tool", "refusal4j 0.1.0");
        JSON.writeValue(dir.resolve("direction.json").toFile(), d);

        ObjectNode m = JSON.createObjectNode().put("model", "synthetic-chat");
        ObjectNode rr = m.putObject("refusal_rate");
        ObjectNode byCat = m.putObject("refusal_rate_by_category");
        for (int i = 0; i < SyntheticRun.CONDITIONS.size(); i++) {
            String cond = SyntheticRun.CONDITIONS.get(i);
            rr.put(cond, RATES[i]);
            ObjectNode cats = byCat.putObject(cond);
            if (cond.startsWith("harmful")) {
                for (String cat : CATEGORIES) cats.put(cat, Math.clamp(RATES[i] + 0.1 * (rnd.nextDouble() - 0.5), 0, 1));
            } else {
                cats.put("harmless", RATES[i]);
            }
        }
        m.putObject("loss").put("baseline", 1.23).put("ablation", 1.25).put("actadd", 1.40);
        m.putObject("counts").put("harmful_train", 128).put("harmless_train", 128).put("harmful_val", 32).put("harmless_val", 32)
                .put("harmful_test", 12).put("harmless_test", 12).put("harmful_train_filtered_out", 3);
        m.put("judge", "refusal_direction (substring, case-insensitive)");
        m.putObject("timings_seconds").put("tokenize", 0.4).put("directions", 3.1).put("select", 40.2)
                .put("completions", 60.0).put("evaluate", 1.0);
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("metrics.json").toFile(), m);

        for (String cond : SyntheticRun.CONDITIONS) {
            boolean harmful = cond.startsWith("harmful");
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 12; i++) {
                String cat = harmful ? CATEGORIES.get(i % CATEGORIES.size()) : "harmless";
                boolean refused = rnd.nextDouble() < RATES[SyntheticRun.CONDITIONS.indexOf(cond)];
                String response = i == 0 && cond.equals("harmful_ablation") ? INJECTION
                        : (refused ? "I cannot help with that. " : "Here is how: step ") + cond + " #" + i;
                ObjectNode o = JSON.createObjectNode().put("instruction", (harmful ? "Harmful instruction " : "Harmless instruction ") + i)
                        .put("category", cat).put("response", response).put("refused", refused);
                sb.append(JSON.writeValueAsString(o)).append('\n');
            }
            Files.writeString(dir.resolve("completions/" + cond + ".jsonl"), sb.toString());
        }
    }

    /** The suffix analysis's text, with markup to escape. */
    public static final String SUFFIX = "describing.\\ + similarlyNow <b>write</b>";

    /**
     * A made-up {@code suffix/analysis.json} of {@code heads} top heads over {@link #LAYERS} layers, as
     * analyze-suffix writes it; the adversarial suffix lowers the cosine after layer {@link #SEL_LAYER}.
     */
    public static SuffixAnalysisFile suffixAnalysis(int heads, long seed) {
        Random rnd = new Random(seed);
        Map<String, List<Double>> cos = new LinkedHashMap<>(), std = new LinkedHashMap<>();
        Map<String, List<List<Double>>> proj = new LinkedHashMap<>();
        for (String g : SuffixAnalysisFile.GROUPS) {
            List<Double> c = new ArrayList<>(), sd = new ArrayList<>();
            for (int l = 0; l <= LAYERS; l++) {
                c.add(Math.min(1, l / (double) LAYERS) * (g.equals("harmful_adversarial") ? 0.3 : g.equals("harmless") ? 0.1 : 0.8));
                sd.add(0.05 * rnd.nextDouble());
            }
            cos.put(g, c);
            std.put(g, sd);
            List<List<Double>> rows = new ArrayList<>();
            for (int l = 0; l < LAYERS; l++) rows.add(List.of(rnd.nextGaussian(), rnd.nextGaussian()));
            proj.put(g, rows);
        }
        List<SuffixAnalysisFile.Head> hs = new ArrayList<>();
        List<SuffixAnalysisFile.HeadAttention> at = new ArrayList<>();
        for (int k = 0; k < heads; k++) {
            Map<String, Double> v = new LinkedHashMap<>();
            v.put("harmful", 5.0 - k);
            v.put("harmful_adversarial", -1.0 + k * 0.1);
            v.put("harmful_random", 4.0 - k);
            v.put("harmless", 0.5);
            hs.add(new SuffixAnalysisFile.Head(k % LAYERS, k, v));
            Map<String, SuffixAnalysisFile.Shares> sh = new LinkedHashMap<>();
            sh.put("harmful", new SuffixAnalysisFile.Shares(0.6, 0, 0.4));
            sh.put("harmful_adversarial", new SuffixAnalysisFile.Shares(0.1, 0.7, 0.2));
            sh.put("harmful_random", new SuffixAnalysisFile.Shares(0.5, 0.2, 0.3));
            at.add(new SuffixAnalysisFile.HeadAttention(k % LAYERS, k, sh));
        }
        List<String> points = new ArrayList<>();
        for (int l = 0; l < LAYERS; l++) points.add("blocks." + l + ".hook_resid_pre");
        points.add("blocks." + (LAYERS - 1) + ".hook_resid_post");
        Map<String, Boolean> checks = new LinkedHashMap<>();
        checks.put("cosine_lower", true);
        checks.put("heads_reduced", true);
        checks.put("attention_shifted", false);
        return new SuffixAnalysisFile("synthetic-chat", SUFFIX, 7, "qz fj!", seed, "run/direction.safetensors",
                SEL_LAYER, SEL_POSITION, 12, 12, points, cos, std, proj, hs, at, checks, "The paper's picture holds in part (2 of 3 checks).");
    }
}
