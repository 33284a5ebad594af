package dev.refusal4j.report;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The artifacts of one run directory, read tolerantly: a missing file leaves its part null or
 * empty, a missing field reads as NaN / null, and a file that cannot be read is recorded in
 * {@link #problems} so that a partial or damaged run still gets a report of what exists.
 */
final class Artifacts {
    /** Conditions in the order the report shows them; file {@code completions/<name>.jsonl}. */
    static final List<String> CONDITIONS = List.of(
            "harmful_baseline", "harmful_ablation", "harmful_actadd", "harmless_baseline", "harmless_actadd");

    /** Python's json writes NaN and Infinity bare; accept them. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    final Path dir;
    Candidates candidates;
    JsonNode direction;
    Metrics metrics;
    final Map<String, List<Completion>> completions = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();

    private Artifacts(Path dir) {
        this.dir = dir;
    }

    boolean isEmpty() {
        return candidates == null && direction == null && metrics == null && completions.isEmpty();
    }

    static Artifacts read(Path dir) {
        Artifacts a = new Artifacts(dir);
        JsonNode c = a.json("candidates.json");
        if (c != null) a.candidates = a.candidates(c);
        a.direction = a.json("direction.json");
        if (a.direction != null && !a.direction.isObject()) {
            a.problems.add("direction.json: expected a JSON object, found " + a.direction.getNodeType());
            a.direction = null;
        }
        JsonNode m = a.json("metrics.json");
        if (m != null) a.metrics = metrics(m);
        for (String cond : CONDITIONS) {
            List<Completion> list = a.jsonl("completions/" + cond + ".jsonl");
            if (list != null) a.completions.put(cond, list);
        }
        return a;
    }

    private JsonNode json(String name) {
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) return null;
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            problems.add(name + ": not readable JSON (" + firstLine(e.getMessage()) + ")");
            return null;
        }
    }

    private List<Completion> jsonl(String name) {
        Path f = dir.resolve(name);
        if (!Files.isRegularFile(f)) return null;
        List<Completion> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            int n = 0;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                n++;
                if (line.isBlank()) continue;
                try {
                    JsonNode o = JSON.readTree(line);
                    out.add(new Completion(text(o, "instruction"), text(o, "category"), text(o, "response"),
                            o.path("refused").isBoolean() ? o.get("refused").booleanValue() : null));
                } catch (IOException e) {
                    problems.add(name + " line " + n + ": not JSON (" + firstLine(e.getMessage()) + ")");
                }
            }
        } catch (IOException e) {
            problems.add(name + ": cannot read (" + firstLine(e.getMessage()) + ")");
            return out.isEmpty() ? null : out;
        }
        return out;
    }

    private Candidates candidates(JsonNode c) {
        List<Candidates.Candidate> list = new ArrayList<>();
        int i = 0;
        for (JsonNode o : c.path("candidates")) {
            i++;
            if (!o.path("position").canConvertToInt() || !o.path("layer").canConvertToInt()) {
                problems.add("candidates.json: candidate " + i + " has no integer position/layer; skipped");
                continue;
            }
            JsonNode f = o.path("filtered");
            String filtered = f.isTextual() ? f.asText() : f.isBoolean() && f.booleanValue() ? "filtered" : null;
            list.add(new Candidates.Candidate(o.get("position").asInt(), o.get("layer").asInt(),
                    number(o.path("bypass_score")), number(o.path("induce_score")), number(o.path("kl_score")), filtered));
        }
        TreeSet<Integer> positions = new TreeSet<>();
        for (JsonNode p : c.path("positions")) if (p.canConvertToInt()) positions.add(p.asInt());
        int maxLayer = -1;
        for (Candidates.Candidate k : list) {
            positions.add(k.position());
            maxLayer = Math.max(maxLayer, k.layer());
        }
        int numLayers = c.path("num_layers").canConvertToInt() ? c.get("num_layers").asInt() : 0;
        numLayers = Math.max(numLayers, maxLayer + 1);
        JsonNode s = c.path("selected");
        Candidates.Cell selected = s.path("position").canConvertToInt() && s.path("layer").canConvertToInt()
                ? new Candidates.Cell(s.get("position").asInt(), s.get("layer").asInt()) : null;
        Map<Integer, String> tokens = new TreeMap<>();
        c.path("position_tokens").properties().forEach(e -> {
            try {
                tokens.put(Integer.parseInt(e.getKey()), e.getValue().asText());
            } catch (NumberFormatException ignored) {
                problems.add("candidates.json: position_tokens key '" + e.getKey() + "' is not an integer; ignored");
            }
        });
        return new Candidates(text(c, "model"), numLayers, List.copyOf(positions), list, selected,
                numbers(c.path("thresholds")), tokens);
    }

    private static Metrics metrics(JsonNode m) {
        Map<String, Map<String, Double>> byCategory = new LinkedHashMap<>();
        m.path("refusal_rate_by_category").properties().forEach(e -> byCategory.put(e.getKey(), numbers(e.getValue())));
        return new Metrics(text(m, "model"), numbers(m.path("refusal_rate")), byCategory, numbers(m.path("loss")),
                numbers(m.path("counts")), text(m, "judge"), numbers(m.path("timings_seconds")));
    }

    /** The numeric members of an object, in file order; anything else is left out. */
    static Map<String, Double> numbers(JsonNode obj) {
        Map<String, Double> out = new LinkedHashMap<>();
        obj.properties().forEach(e -> {
            double v = number(e.getValue());
            if (e.getValue().isNumber() || !Double.isNaN(v) || "NaN".equals(e.getValue().asText())) out.put(e.getKey(), v);
        });
        return out;
    }

    static double number(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return Double.NaN;
        if (n.isNumber()) return n.doubleValue();
        if (n.isTextual()) {
            try {
                return Double.parseDouble(n.asText().trim());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    static String text(JsonNode o, String field) {
        JsonNode n = o.path(field);
        return n.isValueNode() && !n.isNull() ? n.asText() : null;
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
