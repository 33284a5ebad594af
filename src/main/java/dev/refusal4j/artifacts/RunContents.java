package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything one run folder holds, read tolerantly: a missing file leaves its part null or empty, a
 * missing field reads as NaN / null, and a file that cannot be read is recorded in {@link #problems},
 * so that a partial or damaged run still gets a report of what exists.
 */
public final class RunContents {
    public final RunFolder folder;
    public Candidates candidates;
    public DirectionSummary direction;
    public Metrics metrics;
    /** {@code suffix/analysis.json}, when {@code analyze-suffix} wrote one into the run folder. */
    public SuffixAnalysisFile suffix;
    /** {@code suffix/heldout.json}, when {@code run --suffix-attack} wrote one. */
    public SuffixHeldOut suffixHeldOut;
    /** {@code optimize/front.json}, when {@code optimize --out RUN/optimize} searched beside the run. */
    public FrontFile optimize;
    public final Map<CompletionSet, List<Completion>> completions = new EnumMap<>(CompletionSet.class);
    public final List<String> problems = new ArrayList<>();

    private RunContents(RunFolder folder) {
        this.folder = folder;
    }

    public boolean isEmpty() {
        return candidates == null && direction == null && metrics == null && completions.isEmpty() && suffix == null && suffixHeldOut == null && optimize == null;
    }

    public static RunContents read(RunFolder folder) {
        RunContents a = new RunContents(folder);
        JsonNode c = a.json("candidates.json");
        if (c != null) a.candidates = a.candidates(c);
        JsonNode d = a.json("direction.json");
        if (d != null && !d.isObject()) a.problems.add("direction.json: expected a JSON object, found " + d.getNodeType());
        else if (d != null) a.direction = direction(d);
        JsonNode m = a.json("metrics.json");
        if (m != null) a.metrics = metrics(m);
        JsonNode s = a.json(RunFolder.SUFFIX_ANALYSIS);
        if (s != null) a.suffix = SuffixAnalysisFile.read(s, RunFolder.SUFFIX_ANALYSIS, a.problems);
        JsonNode h = a.json(RunFolder.SUFFIX_HELD_OUT);
        if (h != null) a.suffixHeldOut = SuffixHeldOut.read(h, RunFolder.SUFFIX_HELD_OUT, a.problems);
        JsonNode o = a.json(RunFolder.OPTIMIZE_FRONT);
        if (o != null) a.optimize = a.sameModel(FrontFile.read(o, RunFolder.OPTIMIZE_FRONT, a.problems));
        for (CompletionSet set : CompletionSet.values()) {
            if (!Files.isRegularFile(folder.completions(set))) continue;
            try {
                a.completions.put(set, CompletionsFile.readJsonl(folder.completions(set)));
            } catch (RuntimeException e) {
                a.problems.add("completions/" + set.key() + ".jsonl: " + firstLine(e.getMessage()));
            }
        }
        return a;
    }

    /**
     * {@code front}, or null when run.json names another model: a search left in the folder by an
     * earlier run (which {@code run --force} does not delete, as a search can take hours) would
     * otherwise be shown as this run's.
     */
    private FrontFile sameModel(FrontFile front) {
        if (front == null || front.model() == null || !Files.isRegularFile(folder.settings())) return front;
        JsonNode settings = json(folder.dir().relativize(folder.settings()).toString());
        String runModel = settings == null ? null : RunContents.text(settings, "--model");
        if (runModel == null || samePath(runModel, front.model())) return front;
        problems.add(RunFolder.OPTIMIZE_FRONT + ": a search of " + front.model() + ", not of this run's model " + runModel + "; left out");
        return null;
    }

    private static boolean samePath(String a, String b) {
        try {
            return java.nio.file.Path.of(a).toAbsolutePath().normalize().equals(java.nio.file.Path.of(b).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            return a.equals(b);
        }
    }

    private JsonNode json(String name) {
        var f = folder.dir().resolve(name);
        if (!Files.isRegularFile(f)) return null;
        try {
            return Json.MAPPER.readTree(f.toFile());
        } catch (IOException e) {
            problems.add(name + ": not readable JSON (" + firstLine(e.getMessage()) + ")");
            return null;
        }
    }

    private Candidates candidates(JsonNode c) {
        List<Candidates.Candidate> list = new ArrayList<>();
        int i = 0, skipped = 0;
        String firstSkipped = null; // one line for all skipped candidates: a damaged file may have thousands
        for (JsonNode o : c.path("candidates")) {
            i++;
            String why = !isInt(o.path("position")) || !isInt(o.path("layer")) ? "has no integer position/layer"
                    : o.get("layer").asInt() < 0 || o.get("layer").asInt() >= Candidates.MAX_LAYERS
                    ? "has layer " + o.get("layer").asInt() + ", outside 0.." + (Candidates.MAX_LAYERS - 1) : null;
            if (why != null) {
                if (skipped++ == 0) firstSkipped = "candidates.json: candidate " + i + " " + why + "; skipped";
                continue;
            }
            JsonNode f = o.path("filtered");
            String filtered = f.isTextual() ? f.asText() : f.isBoolean() && f.booleanValue() ? "filtered" : null;
            list.add(new Candidates.Candidate(o.get("position").asInt(), o.get("layer").asInt(),
                    number(o.path("bypass_score")), number(o.path("induce_score")), number(o.path("kl_score")), filtered));
        }
        if (skipped > 0) problems.add(firstSkipped + (skipped > 1 ? " (and " + (skipped - 1) + " more candidates)" : ""));
        TreeSet<Integer> positions = new TreeSet<>();
        for (JsonNode p : c.path("positions")) if (isInt(p)) positions.add(p.asInt());
        int maxLayer = -1;
        for (Candidates.Candidate k : list) {
            positions.add(k.position());
            maxLayer = Math.max(maxLayer, k.layer());
        }
        int numLayers = isInt(c.path("num_layers")) ? c.get("num_layers").asInt() : 0;
        if (numLayers < 0 || numLayers > Candidates.MAX_LAYERS) {
            problems.add("candidates.json: num_layers " + numLayers + " is not from 0 to " + Candidates.MAX_LAYERS + "; ignored");
            numLayers = 0;
        }
        numLayers = Math.max(numLayers, maxLayer + 1);
        JsonNode s = c.path("selected");
        Candidates.Cell selected = isInt(s.path("position")) && isInt(s.path("layer"))
                ? new Candidates.Cell(s.get("position").asInt(), s.get("layer").asInt()) : null;
        Map<Integer, String> tokens = new TreeMap<>();
        c.path("position_tokens").properties().forEach(e -> {
            try {
                tokens.put(Integer.parseInt(e.getKey()), e.getValue().asText());
            } catch (NumberFormatException ignored) {
                problems.add("candidates.json: position_tokens key '" + e.getKey() + "' is not an integer; ignored");
            }
        });
        Map<String, Double> thresholds = numbers(c.path("thresholds"));
        Double prune = thresholds.get("prune_layer_fraction");
        if (prune != null && !(prune >= 0 && prune <= 1)) {
            problems.add("candidates.json: thresholds.prune_layer_fraction " + prune + " is not from 0 to 1; ignored");
            thresholds.remove("prune_layer_fraction");
        }
        return new Candidates(text(c, "model"), numLayers, List.copyOf(positions), list, selected, thresholds, tokens,
                text(c, "prompt"), text(c, "refusal_tokens"));
    }

    /** A whole number that fits an int: 3, not 3.7 (which Jackson would truncate) nor "3". */
    private static boolean isInt(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToInt();
    }

    private static DirectionSummary direction(JsonNode d) {
        return new DirectionSummary(integer(d, "layer"), integer(d, "position"), number(d.path("norm")), integer(d, "dims"),
                text(d, "model"), text(d, "tool"), number(d.path("bypass_score")), number(d.path("induce_score")), number(d.path("kl_score")));
    }

    private static Metrics metrics(JsonNode m) {
        Map<String, Map<String, Double>> byCategory = new LinkedHashMap<>();
        m.path("refusal_rate_by_category").properties().forEach(e -> byCategory.put(e.getKey(), numbers(e.getValue())));
        JsonNode d = m.path("direction");
        Metrics.Direction dir = integer(d, "layer") == null || integer(d, "position") == null ? null
                : new Metrics.Direction(d.get("layer").asInt(), d.get("position").asInt(), number(d.path("norm")));
        List<Integer> tokens = new ArrayList<>();
        for (JsonNode t : m.path("refusal_tokens")) if (t.canConvertToInt()) tokens.add(t.asInt());
        return new Metrics(text(m, "model"), text(m, "tool"), text(m, "judge"), numbers(m.path("refusal_rate")), byCategory,
                numbers(m.path("loss")), dir, tokens, numbers(m.path("counts")), numbers(m.path("timings_seconds")), numbers(m.path("flops")),
                text(m, "guard_judge"), numbers(m.path("jailbreak_rate_guard")), numbers(m.path("judge_agreement")), numbers(m.path("loss_corpus")),
                answerQuality(m.path("answer_quality")));
    }

    /** {@code answer_quality}: per set, its measures; a missing share reads as NaN, a missing count as 0. */
    private static Map<String, AnswerQuality.Summary> answerQuality(JsonNode aq) {
        Map<String, AnswerQuality.Summary> out = new LinkedHashMap<>();
        aq.properties().forEach(e -> {
            JsonNode q = e.getValue();
            if (!q.isObject()) return;
            out.put(e.getKey(), new AnswerQuality.Summary(q.path(Metrics.ANSWERS).asInt(0), number(q.path(Metrics.NON_WORDS)),
                    number(q.path(Metrics.REPEATED_PAIRS)), number(q.path(Metrics.ON_TOPIC)), q.path(Metrics.WITH_REFERENCE).asInt(0),
                    number(q.path(Metrics.REFERENCE_F1))));
        });
        return out;
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

    private static Integer integer(JsonNode o, String field) {
        JsonNode n = o.path(field);
        return isInt(n) ? n.asInt() : null;
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
