package dev.refusal4j.report;

import dev.refusal4j.artifacts.RunContents;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Writes {@code report.html} for a run directory from whatever artifacts it holds
 * (candidates.json, direction.json, metrics.json, completions/*.jsonl, suffix/analysis.json, optimize/front.json), and every plot in it
 * as {@code plots/NAME.svg} and {@code plots/NAME.png}. The page opens offline: styles and
 * plots are inline. The only line that differs between two reports of the same artifacts is
 * the one labelled "Report generated".
 */
public final class Report {
    /** What was written, and what could not be read (also listed in the report). */
    public record Written(Path html, List<Path> plots, List<String> problems) {}

    public static final int DEFAULT_SAMPLES = 8;

    private Report() {}

    public static Written write(Path runDir) throws IOException {
        return write(runDir, DEFAULT_SAMPLES, Clock.systemUTC());
    }

    /** @param samples how many instructions the side-by-side tables show, per prompt set */
    public static Written write(Path runDir, int samples, Clock clock) throws IOException {
        return write(runDir, samples, clock, null);
    }

    /**
     * @param judge decides the refused/complied badge of a response whose completions line has no
     *              {@code refused} field (null: no badge for those)
     */
    public static Written write(Path runDir, int samples, Clock clock, Predicate<String> judge) throws IOException {
        if (!Files.isDirectory(runDir)) throw new IllegalArgumentException("run directory not found: " + runDir);
        RunContents a = RunContents.read(new RunFolder(runDir));
        if (a.isEmpty()) {
            throw new IllegalArgumentException("no run artifacts in " + runDir + " (expected candidates.json, direction.json, metrics.json or completions/*.jsonl"
                    + (a.problems.isEmpty() ? "" : "; " + String.join("; ", a.problems)) + ")");
        }
        Map<String, Figure> figures = figures(a);
        List<Path> plots = new ArrayList<>();
        if (!figures.isEmpty()) {
            Path dir = Files.createDirectories(runDir.resolve("plots"));
            for (Map.Entry<String, Figure> e : figures.entrySet()) {
                Path svg = dir.resolve(e.getKey() + ".svg"), png = dir.resolve(e.getKey() + ".png");
                AtomicFiles.write(svg, Svg.file(e.getValue()).getBytes(StandardCharsets.UTF_8));
                Png.write(e.getValue(), png);
                plots.add(svg);
                plots.add(png);
            }
        }
        String generated = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
        Path html = runDir.resolve("report.html");
        AtomicFiles.write(html, ReportHtml.render(a, figures, samples, judge, generated).getBytes(StandardCharsets.UTF_8));
        return new Written(html, plots, List.copyOf(a.problems));
    }

    /** Every plot the artifacts allow, by file name (without extension), in page order. */
    static Map<String, Figure> figures(RunContents a) {
        Map<String, Figure> out = new LinkedHashMap<>();
        if (a.metrics != null && !a.metrics.refusalRate().isEmpty()) {
            out.put("refusal_rate", rates(a.metrics.refusalRate()));
        }
        if (a.metrics != null && !a.metrics.refusalRateByCategory().isEmpty()) {
            Figure f = ratesByCategory(a.metrics.refusalRateByCategory());
            if (f != null) out.put("refusal_rate_by_category", f);
        }
        if (a.candidates != null && !a.candidates.list().isEmpty()) {
            long cells = (long) a.candidates.positions().size() * a.candidates.numLayers();
            if (cells > Heatmap.MAX_CELLS) {
                a.problems.add("candidates.json: " + a.candidates.positions().size() + " positions x " + a.candidates.numLayers()
                        + " layers are more cells than a heatmap draws (" + Heatmap.MAX_CELLS + "); heatmaps left out");
            } else {
                for (Heatmap.Score s : Heatmap.Score.values()) out.put("heatmap_" + s.file, Heatmap.draw(a.candidates, s));
            }
        }
        if (a.suffix != null) SuffixFigures.figures(a.suffix).forEach((name, f) -> out.put(SUFFIX_PLOT + name, f));
        if (a.optimize != null) out.put(OPTIMIZE_PLOT, ParetoPage.plot(a.optimize));
        return out;
    }

    /** The plot of the search in RUN/optimize, in the run's plots/ folder. */
    static final String OPTIMIZE_PLOT = "optimize_front";

    /** What the suffix analysis's plots are called in the run's plots/ folder, before their own names. */
    static final String SUFFIX_PLOT = "suffix_";

    private static Figure rates(Map<String, Double> rates) {
        Map<String, List<BarChart.Bar>> groups = new LinkedHashMap<>();
        for (String c : ReportHtml.orderedConditions(rates.keySet())) {
            groups.computeIfAbsent(ReportHtml.prefix(c) + " test prompts", k -> new ArrayList<>())
                    .add(new BarChart.Bar(BarChart.conditionLabel(c), rates.get(c), BarChart.colorOf(c)));
        }
        return BarChart.draw("Refusal rate by condition", "share of test completions judged as refusals",
                groups.entrySet().stream().map(e -> new BarChart.Group(e.getKey(), e.getValue())).toList(), 54);
    }

    /** Harmful conditions per category (harmless prompts usually carry no meaningful category). */
    private static Figure ratesByCategory(Map<String, Map<String, Double>> byCat) {
        List<String> conds = ReportHtml.orderedConditions(byCat.keySet()).stream().filter(c -> c.startsWith("harmful_")).toList();
        List<String> cats = Samples.categories(byCat, conds);
        if (cats.isEmpty()) return null;
        List<BarChart.Group> groups = new ArrayList<>();
        for (String cat : cats) {
            List<BarChart.Bar> bars = new ArrayList<>();
            for (String c : conds) bars.add(new BarChart.Bar(BarChart.conditionLabel(c), byCat.get(c).getOrDefault(cat, Double.NaN), BarChart.colorOf(c)));
            groups.add(new BarChart.Group(cat, bars));
        }
        return BarChart.draw("Harmful refusal rate by category", "test prompts of each category", groups, Math.clamp(640.0 / (cats.size() * conds.size()), 6, 22));
    }
}
