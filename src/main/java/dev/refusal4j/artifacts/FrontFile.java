package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code front.json} of {@code refusal4j optimize}: the Pareto trials of a search, each with its
 * objectives on the validation prompts, its refusal rate and KL on the held-out test prompts, and
 * its parameters; every finished trial with its validation objectives and parameters; beside them
 * the paper's single direction measured the same way, or why there is none. No timings: the same
 * search gives the same bytes. The run report reads it from {@code RUN/optimize/front.json}.
 *
 * @param paper        null when the paper's selection found no direction
 * @param paperMissing why there is no paper point (null when there is one)
 * @param finished     every trial that was not pruned, in trial order, without test numbers
 */
public record FrontFile(String model, int trials, int pruned, Reference paper, String paperMissing, List<Point> front, List<Point> finished) {
    /** @param test null when not measured */
    public record Point(int trial, double refusalRate, double kl, Measure test, Map<String, Double> parameters) {}

    public record Measure(double refusalRate, double kl) {}

    /** The paper's direction: where it was taken, and its full ablation measured as the trials are. */
    public record Reference(int layer, int position, Measure val, Measure test) {}

    public void write(Path file) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", model);
        root.put("trials", trials);
        root.put("pruned", pruned);
        if (paper != null) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("layer", paper.layer());
            p.put("position", paper.position());
            p.put("refusal_rate", paper.val().refusalRate());
            p.put("kl", paper.val().kl());
            if (paper.test() != null) p.put("test", measure(paper.test()));
            root.put("paper", p);
        }
        if (paperMissing != null) root.put("paper_missing", paperMissing);
        root.put("front", points(front));
        root.put("finished", points(finished));
        Json.write(file, root);
    }

    private static List<Map<String, Object>> points(List<Point> list) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Point pt : list) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("trial", pt.trial());
            m.put("refusal_rate", pt.refusalRate());
            m.put("kl", pt.kl());
            if (pt.test() != null) m.put("test", measure(pt.test()));
            m.put("parameters", pt.parameters());
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> measure(Measure m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("refusal_rate", m.refusalRate());
        out.put("kl", m.kl());
        return out;
    }

    /** The file as far as it can be read (a missing number is NaN); null, with the reason in {@code problems}, when it is not a front. */
    public static FrontFile read(JsonNode j, String name, List<String> problems) {
        if (!j.isObject() || !j.path("front").isArray()) {
            problems.add(name + ": expected a JSON object with a \"front\" array");
            return null;
        }
        JsonNode p = j.path("paper");
        Reference paper = p.isObject() ? new Reference(p.path("layer").asInt(), p.path("position").asInt(), measure(p),
                p.path("test").isObject() ? measure(p.path("test")) : null) : null;
        return new FrontFile(RunContents.text(j, "model"), j.path("trials").asInt(), j.path("pruned").asInt(), paper, RunContents.text(j, "paper_missing"),
                points(j.path("front")), points(j.path("finished")));
    }

    private static List<Point> points(JsonNode arr) {
        List<Point> out = new ArrayList<>();
        for (JsonNode n : arr) {
            Map<String, Double> params = new LinkedHashMap<>();
            n.path("parameters").properties().forEach(e -> params.put(e.getKey(), RunContents.number(e.getValue())));
            out.add(new Point(n.path("trial").asInt(), RunContents.number(n.path("refusal_rate")), RunContents.number(n.path("kl")),
                    n.path("test").isObject() ? measure(n.path("test")) : null, params));
        }
        return out;
    }

    private static Measure measure(JsonNode n) {
        return new Measure(RunContents.number(n.path("refusal_rate")), RunContents.number(n.path("kl")));
    }
}
