package dev.refusal4j.report;

import dev.refusal4j.artifacts.SuffixAnalysisFile;
import dev.refusal4j.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The figures of an adversarial-suffix analysis, drawn from its file ({@link SuffixAnalysisFile}),
 * so that {@code analyze-suffix}'s folder and the run report show the same plots: the cosine with r
 * per layer for each prompt group, the top heads' projections on r̂, and their attention shares.
 */
public final class SuffixFigures {
    static final Map<String, Rgb> COLOR = Map.of(
            "harmful", Rgb.hex("#b2182b"), "harmful_adversarial", Rgb.hex("#e08214"),
            "harmful_random", Rgb.hex("#8c8c8c"), "harmless", Rgb.hex("#2166ac"));

    static final Map<String, String> LABEL = Map.of(
            "harmful", "harmful", "harmful_adversarial", "harmful + suffix",
            "harmful_random", "harmful + random suffix", "harmless", "harmless");

    private SuffixFigures() {}

    /** Every figure the file has the numbers for, by file name without extension, in page order. */
    static Map<String, Figure> figures(SuffixAnalysisFile a) {
        Map<String, Figure> out = new LinkedHashMap<>();
        if (!a.cosine().isEmpty()) out.put("cosine_by_layer", cosine(a));
        if (!a.heads().isEmpty()) out.put("top_heads", heads(a));
        if (!a.attention().isEmpty()) out.put("attention_shares", attention(a));
        return out;
    }

    /** Writes every figure as {@code NAME.svg} and {@code NAME.png} into {@code dir}, each file whole; returns them. */
    public static List<Path> write(SuffixAnalysisFile a, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, Figure> e : figures(a).entrySet()) {
            Path svg = dir.resolve(e.getKey() + ".svg"), png = dir.resolve(e.getKey() + ".png");
            AtomicFiles.write(svg, Svg.file(e.getValue()).getBytes(StandardCharsets.UTF_8));
            Png.write(e.getValue(), png);
            written.add(svg);
            written.add(png);
        }
        return written;
    }

    private static String label(String group) {
        return LABEL.getOrDefault(group, group);
    }

    private static Figure cosine(SuffixAnalysisFile a) {
        List<LineChart.Series> series = new ArrayList<>();
        a.cosine().forEach((g, values) -> series.add(new LineChart.Series(label(g), values, a.cosineStd().get(g), COLOR.getOrDefault(g, Rgb.MUTED))));
        Integer layer = a.directionLayer();
        return LineChart.draw("Cosine with the refusal direction at the last prompt position",
                "mean ± std over prompts; at L: the input of layer L; last: the model's output",
                "layer", "cos(x, r)", series, layer == null ? null : new LineChart.Marker(layer, "r from layer " + layer));
    }

    private static String head(int layer, int head) {
        return "L" + layer + " H" + head;
    }

    private static Figure heads(SuffixAnalysisFile a) {
        List<BarChart.Group> groups = new ArrayList<>();
        for (SuffixAnalysisFile.Head h : a.heads()) {
            List<BarChart.Bar> bars = new ArrayList<>();
            for (String g : SuffixAnalysisFile.ATTENTION_GROUPS) bars.add(new BarChart.Bar(label(g), h.of(g), COLOR.get(g)));
            groups.add(new BarChart.Group(head(h.layer(), h.head()), bars));
        }
        return BarChart.draw("Top heads' direct contribution along r̂", "each head's output at the last position projected on r̂, mean over the prompts",
                groups, barWidth(groups), BarChart.Axis.around("projection on r̂", groups));
    }

    private static Figure attention(SuffixAnalysisFile a) {
        List<BarChart.Group> groups = new ArrayList<>();
        for (SuffixAnalysisFile.HeadAttention h : a.attention()) {
            List<BarChart.Bar> bars = new ArrayList<>();
            for (String g : SuffixAnalysisFile.ATTENTION_GROUPS) {
                SuffixAnalysisFile.Shares s = h.shares().get(g);
                bars.add(new BarChart.Bar("instruction · " + label(g), s == null ? Double.NaN : s.instruction(), COLOR.get(g)));
            }
            for (String g : SuffixAnalysisFile.ATTENTION_GROUPS.subList(1, 3)) {
                SuffixAnalysisFile.Shares s = h.shares().get(g);
                bars.add(new BarChart.Bar("suffix · " + label(g), s == null ? Double.NaN : s.suffix(), COLOR.get(g).mix(Rgb.WHITE, 0.55)));
            }
            groups.add(new BarChart.Group(head(h.layer(), h.head()), bars));
        }
        return BarChart.draw("Top heads' attention from the last position", "on the instruction's tokens (dark), on the suffix's (light); the rest is on the template",
                groups, barWidth(groups), new BarChart.Axis("share of attention", 0, 1, true));
    }

    private static double barWidth(List<BarChart.Group> groups) {
        int bars = 0;
        for (BarChart.Group g : groups) bars += g.bars().size();
        return Math.clamp(640.0 / Math.max(1, bars), 6, 22); // narrower than BarChart's 26 px for labels on each bar: group labels only
    }
}
