package dev.refusal4j.optimize;

import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code front.json}: the Pareto trials of a search, each with its objectives on the validation
 * prompts, its refusal rate and KL on the held-out test prompts, and its parameters; beside them
 * the paper's single direction measured the same way. No timings: the same search gives the same bytes.
 */
public record FrontFile(String model, int trials, int pruned, Reference paper, List<Point> front) {
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
        List<Map<String, Object>> pts = new java.util.ArrayList<>();
        for (Point pt : front) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("trial", pt.trial());
            m.put("refusal_rate", pt.refusalRate());
            m.put("kl", pt.kl());
            if (pt.test() != null) m.put("test", measure(pt.test()));
            m.put("parameters", pt.parameters());
            pts.add(m);
        }
        root.put("front", pts);
        Json.write(file, root);
    }

    private static Map<String, Object> measure(Measure m) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("refusal_rate", m.refusalRate());
        out.put("kl", m.kl());
        return out;
    }
}
