package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code analysis.json} of {@code refusal4j analyze-suffix} (in a run folder: {@code suffix/analysis.json}):
 * how an adversarial suffix acts on the refusal direction, per prompt group ({@link #GROUPS}).
 * Written whole by {@link #write}; read by {@link #read(JsonNode, List)} as tolerantly as the rest
 * of a run folder: a missing field reads as null, NaN or empty, a wrong one is left out and named
 * in the problems.
 *
 * @param cosinePoints   the hook points the cosines are taken at, in order (resid_pre of every layer, then the last resid_post)
 * @param cosine         per group: the mean cosine with r at each point
 * @param cosineStd      per group: the standard deviation over the prompts at each point
 * @param headProjection per group: [layer][head] mean projection of each head's output on r̂
 * @param heads          the top heads by projection on harmful prompts, with every group's projection
 * @param attention      the top heads' attention shares from the last position, per group of {@link #ATTENTION_GROUPS}
 * @param checks         by {@link #CHECKS}: whether each part of the paper's picture holds
 */
public record SuffixAnalysisFile(String model, String suffix, Integer suffixTokens, String randomSuffix, Long seed,
                                 String directionFile, Integer directionLayer, Integer directionPosition,
                                 Integer harmfulPrompts, Integer harmlessPrompts, List<String> cosinePoints,
                                 Map<String, List<Double>> cosine, Map<String, List<Double>> cosineStd,
                                 Map<String, List<List<Double>>> headProjection, List<Head> heads, List<HeadAttention> attention,
                                 Map<String, Boolean> checks, String verdict) {

    public static final List<String> GROUPS = List.of("harmful", "harmful_adversarial", "harmful_random", "harmless");
    public static final List<String> ATTENTION_GROUPS = List.of("harmful", "harmful_adversarial", "harmful_random");
    public static final List<String> CHECKS = List.of("cosine_lower", "heads_reduced", "attention_shifted");

    /** Entries a list may hold when read: more than any model has layers or heads means a damaged file. */
    public static final int MAX_ENTRIES = 4096;

    /** @param projection by group: the head's mean projection on r̂ */
    public record Head(int layer, int head, Map<String, Double> projection) {
        public double of(String group) {
            return projection.getOrDefault(group, Double.NaN);
        }
    }

    public record Shares(double instruction, double suffix, double other) {}

    public record HeadAttention(int layer, int head, Map<String, Shares> shares) {}

    /** The file, keys in a fixed order: the same analysis gives the same bytes. */
    public ObjectNode toJson() {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("model", model).put("suffix", suffix).put("suffix_tokens", suffixTokens).put("random_suffix", randomSuffix).put("seed", seed);
        j.putObject("direction").put("file", directionFile).put("layer", directionLayer).put("position", directionPosition);
        j.putObject("prompts").put("harmful", harmfulPrompts).put("harmless", harmlessPrompts);
        ObjectNode c = j.putObject("checks");
        checks.forEach(c::put);
        j.put("verdict", verdict);
        ArrayNode points = j.putArray("cosine_points");
        cosinePoints.forEach(points::add);
        numbers(j.putObject("cosine"), cosine);
        numbers(j.putObject("cosine_std"), cosineStd);
        ArrayNode hs = j.putArray("heads");
        for (Head h : heads) {
            ObjectNode o = hs.addObject().put("layer", h.layer()).put("head", h.head());
            h.projection().forEach(o::put);
            o.put("drop", h.of("harmful") - h.of("harmful_adversarial"));
            o.put("drop_random", h.of("harmful") - h.of("harmful_random"));
        }
        ArrayNode as = j.putArray("attention");
        for (HeadAttention a : attention) {
            ObjectNode o = as.addObject().put("layer", a.layer()).put("head", a.head());
            a.shares().forEach((g, s) -> o.putObject(g).put("instruction", s.instruction()).put("suffix", s.suffix()).put("other", s.other()));
        }
        ObjectNode hp = j.putObject("head_projection");
        headProjection.forEach((g, rows) -> {
            ArrayNode layers = hp.putArray(g);
            for (List<Double> row : rows) {
                ArrayNode r = layers.addArray();
                row.forEach(r::add);
            }
        });
        return j;
    }

    public void write(Path file) throws IOException {
        Json.write(file, toJson());
    }

    private static void numbers(ObjectNode into, Map<String, List<Double>> byGroup) {
        byGroup.forEach((g, values) -> {
            ArrayNode a = into.putArray(g);
            values.forEach(a::add);
        });
    }

    /**
     * The analysis in {@code j}; what is missing or malformed is left out and described in
     * {@code problems}, each line starting with {@code name}.
     */
    public static SuffixAnalysisFile read(JsonNode j, String name, List<String> problems) {
        if (!j.isObject()) {
            problems.add(name + ": expected a JSON object, found " + j.getNodeType());
            return null;
        }
        JsonNode dir = j.path("direction"), prompts = j.path("prompts");
        List<String> points = new ArrayList<>();
        for (JsonNode p : capped(j.path("cosine_points"), name + ": cosine_points", problems)) points.add(p.isValueNode() ? p.asText() : "?");
        Map<String, List<Double>> cosine = byGroup(j.path("cosine"), name + ": cosine", problems);
        Map<String, List<Double>> cosineStd = byGroup(j.path("cosine_std"), name + ": cosine_std", problems);
        Map<String, List<List<Double>>> projection = new LinkedHashMap<>();
        for (String g : GROUPS) {
            JsonNode rows = j.path("head_projection").path(g);
            if (!rows.isArray()) continue;
            List<List<Double>> out = new ArrayList<>();
            for (JsonNode row : capped(rows, name + ": head_projection." + g, problems)) out.add(doubles(row, name + ": head_projection." + g, problems));
            projection.put(g, out);
        }
        List<Head> heads = new ArrayList<>();
        for (JsonNode h : capped(j.path("heads"), name + ": heads", problems)) {
            if (!isInt(h.path("layer")) || !isInt(h.path("head"))) {
                problems.add(name + ": a head without an integer layer and head; left out");
                continue;
            }
            Map<String, Double> v = new LinkedHashMap<>();
            for (String g : GROUPS) if (h.has(g)) v.put(g, RunContents.number(h.get(g)));
            heads.add(new Head(h.get("layer").asInt(), h.get("head").asInt(), v));
        }
        List<HeadAttention> attention = new ArrayList<>();
        for (JsonNode a : capped(j.path("attention"), name + ": attention", problems)) {
            if (!isInt(a.path("layer")) || !isInt(a.path("head"))) {
                problems.add(name + ": attention of a head without an integer layer and head; left out");
                continue;
            }
            Map<String, Shares> s = new LinkedHashMap<>();
            for (String g : ATTENTION_GROUPS) {
                JsonNode x = a.path(g);
                if (x.isObject()) s.put(g, new Shares(RunContents.number(x.path("instruction")), RunContents.number(x.path("suffix")), RunContents.number(x.path("other"))));
            }
            attention.add(new HeadAttention(a.get("layer").asInt(), a.get("head").asInt(), s));
        }
        Map<String, Boolean> checks = new LinkedHashMap<>();
        for (String c : CHECKS) if (j.path("checks").path(c).isBoolean()) checks.put(c, j.path("checks").get(c).booleanValue());
        return new SuffixAnalysisFile(RunContents.text(j, "model"), RunContents.text(j, "suffix"), integer(j.path("suffix_tokens")),
                RunContents.text(j, "random_suffix"), j.path("seed").isIntegralNumber() && j.path("seed").canConvertToLong() ? j.get("seed").asLong() : null,
                RunContents.text(dir, "file"), integer(dir.path("layer")), integer(dir.path("position")),
                integer(prompts.path("harmful")), integer(prompts.path("harmless")), points, cosine, cosineStd, projection,
                heads, attention, checks, RunContents.text(j, "verdict"));
    }

    /** The elements of an array, at most {@link #MAX_ENTRIES} (the rest named in the problems); nothing for a non-array. */
    private static List<JsonNode> capped(JsonNode a, String what, List<String> problems) {
        List<JsonNode> out = new ArrayList<>();
        if (!a.isArray()) {
            if (!a.isMissingNode()) problems.add(what + ": expected a list, found " + a.getNodeType() + "; left out");
            return out;
        }
        for (JsonNode x : a) {
            if (out.size() == MAX_ENTRIES) {
                problems.add(what + ": " + a.size() + " entries, more than " + MAX_ENTRIES + "; the rest left out");
                break;
            }
            out.add(x);
        }
        return out;
    }

    private static Map<String, List<Double>> byGroup(JsonNode o, String what, List<String> problems) {
        Map<String, List<Double>> out = new LinkedHashMap<>();
        for (String g : GROUPS) if (o.path(g).isArray()) out.put(g, doubles(o.get(g), what + "." + g, problems));
        return out;
    }

    private static List<Double> doubles(JsonNode a, String what, List<String> problems) {
        List<Double> out = new ArrayList<>();
        for (JsonNode x : capped(a, what, problems)) out.add(RunContents.number(x));
        return out;
    }

    private static boolean isInt(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToInt();
    }

    private static Integer integer(JsonNode n) {
        return isInt(n) ? n.asInt() : null;
    }
}
