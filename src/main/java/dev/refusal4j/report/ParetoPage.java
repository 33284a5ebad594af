package dev.refusal4j.report;

import dev.refusal4j.artifacts.FrontFile;
import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.report.Figure.Anchor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The page of a search ({@code refusal4j optimize}): refusal rate against KL for every finished
 * trial, the Pareto front joined by a line, the paper's single direction on the same axes (or why
 * there is none), then a table of the front (with held-out test numbers when measured) and one of
 * every trial's parameters. Written as {@code front.html} with the plot also as {@code front.svg}
 * and {@code front.png}; the run report shows the same figure and tables as a section.
 */
public final class ParetoPage {
    private static final Rgb TRIAL = new Rgb(0xaa, 0xaa, 0xaa), FRONT = new Rgb(0x21, 0x66, 0xac), PAPER = new Rgb(0xb2, 0x18, 0x2b);

    private ParetoPage() {}

    public static void write(Path dir, FrontFile front) throws IOException {
        Figure f = plot(front);
        AtomicFiles.write(dir.resolve("front.svg"), Svg.file(f).getBytes(StandardCharsets.UTF_8));
        Png.write(f, dir.resolve("front.png"));
        StringBuilder sb = new StringBuilder("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>refusal4j optimize: ")
                .append(Html.esc(front.model())).append("</title><style>").append(Css.STYLE).append("</style></head><body><main>\n");
        sb.append("<h1>Refusals against damage</h1>\n");
        body(sb, front, "<div class=\"figure\">\n" + Svg.inline(f) + "<div class=\"links\">also as <a href=\"front.svg\">SVG</a> and <a href=\"front.png\">PNG</a></div>\n</div>\n", "h2");
        sb.append("</main></body></html>\n");
        AtomicFiles.write(dir.resolve("front.html"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The paper's point's label. */
    static String paperLabel(FrontFile.Reference r) {
        return "paper (layer " + r.layer() + ", position " + r.position() + ")";
    }

    /**
     * What the search did, {@code figure} (the plot's HTML), the front's table and every trial's
     * parameters, under headings {@code h} (h2 on its own page, h3 in the run report).
     */
    public static void body(StringBuilder sb, FrontFile front, String figure, String h) {
        List<FrontFile.Point> finished = front.finished();
        sb.append("<p>").append(Html.esc(front.model())).append(": ").append(finished.size()).append(" finished trials, ")
                .append(front.pruned()).append(" pruned (certainly dominated before they finished). Refusal rate: harmful validation prompts whose greedy answer "
                        + "the refusal judge calls a refusal; KL: mean KL divergence of the first answer token's distribution on harmless validation "
                        + "prompts, edited against unedited. Both lower is better.</p>\n");
        if (front.paper() == null) {
            sb.append("<p>The paper's selection found no direction on this model, so its point is missing")
                    .append(front.paperMissing() == null ? "" : ": " + Html.esc(front.paperMissing())).append("</p>\n");
        }
        sb.append(figure);
        sb.append("<").append(h).append(">Pareto front</").append(h).append(">\n<table><tr><th>trial</th><th>refusal (val)</th><th>KL (val)</th><th>refusal (test)</th><th>KL (test)</th></tr>\n");
        FrontFile.Reference paper = front.paper();
        if (paper != null) {
            row(sb, "<b>" + Html.esc(paperLabel(paper)) + "</b>", paper.val().refusalRate(), paper.val().kl(), paper.test() == null ? Double.NaN : paper.test().refusalRate(),
                    paper.test() == null ? Double.NaN : paper.test().kl());
        }
        for (FrontFile.Point t : front.front()) {
            row(sb, Integer.toString(t.trial()), t.refusalRate(), t.kl(), t.test() == null ? Double.NaN : t.test().refusalRate(), t.test() == null ? Double.NaN : t.test().kl());
        }
        java.util.Set<Integer> onFront = new java.util.HashSet<>();
        for (FrontFile.Point t : front.front()) onFront.add(t.trial());
        java.util.Set<String> paramNames = new java.util.LinkedHashSet<>();
        for (FrontFile.Point t : finished) paramNames.addAll(t.parameters().keySet());
        sb.append("</table>\n<").append(h).append(">Every trial</").append(h).append(">\n<table><tr><th>trial</th><th>front</th><th>refusal</th><th>KL</th>");
        for (String p : paramNames) sb.append("<th>").append(Html.esc(p.replace('_', ' '))).append("</th>");
        sb.append("</tr>\n");
        for (FrontFile.Point t : finished) {
            sb.append("<tr><td>").append(t.trial()).append("</td><td>").append(onFront.contains(t.trial()) ? "●" : "").append("</td><td>").append(Html.percent(t.refusalRate()))
                    .append("</td><td>").append(Html.num(t.kl())).append("</td>");
            for (String p : paramNames) {
                Double v = t.parameters().get(p);
                sb.append("<td>").append(v == null ? "" : Html.num(v)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }

    private static void row(StringBuilder sb, String label, double r, double kl, double tr, double tkl) {
        sb.append("<tr><td>").append(label).append("</td><td>").append(Html.percent(r)).append("</td><td>").append(Html.num(kl)).append("</td><td>")
                .append(Double.isNaN(tr) ? "" : Html.percent(tr)).append("</td><td>").append(Double.isNaN(tkl) ? "" : Html.num(tkl)).append("</td></tr>\n");
    }

    /** Refusal rate (linear, 0..1) against KL (log scale: trials span orders of magnitude). */
    public static Figure plot(FrontFile file) {
        String model = file.model();
        List<FrontFile.Point> trials = file.finished();
        FrontFile.Reference paper = file.paper();
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (FrontFile.Point t : trials) if (t.kl() > 0) {
            lo = Math.min(lo, t.kl());
            hi = Math.max(hi, t.kl());
        }
        if (paper != null && paper.val().kl() > 0) {
            lo = Math.min(lo, paper.val().kl());
            hi = Math.max(hi, paper.val().kl());
        }
        if (!(lo < hi)) {
            lo = hi > 0 ? hi / 10 : 1e-4;
            hi = hi > 0 ? hi * 10 : 1;
        }
        Scale.Log xs = new Scale.Log(Math.pow(10, Math.floor(Math.log10(lo))), Math.pow(10, Math.ceil(Math.log10(hi))));
        double x0 = 60, y0 = 60, w = 560, h = 300;
        Figure f = new Figure("refusal rate against KL", x0 + w + 30, y0 + h + 50);
        f.bold(x0, 18, "Refusal rate against KL: " + model, 15, Anchor.START);
        double lx = x0;
        Object[][] legend = paper != null ? new Object[][] {{"trial", TRIAL}, {"Pareto front", FRONT}, {"paper's direction (full ablation)", PAPER}}
                : new Object[][] {{"trial", TRIAL}, {"Pareto front", FRONT}, {"paper's selection: no direction", Rgb.MUTED}};
        for (Object[] l : legend) {
            f.rect(lx, 38, 10, 10, (Rgb) l[1]);
            f.text(lx + 14, 47, (String) l[0], 11, Anchor.START, Rgb.TEXT);
            lx += 30 + Figure.textWidth((String) l[0], 11);
        }
        java.util.function.DoubleUnaryOperator X = v -> x0 + xs.t(v) * w, Y = v -> y0 + h - Math.clamp(v, 0, 1) * h;
        for (double t = 0; t <= 1.0001; t += 0.25) {
            f.line(x0, Y.applyAsDouble(t), x0 + w, Y.applyAsDouble(t), Rgb.GRID, 0.8);
            f.text(x0 - 6, Y.applyAsDouble(t) + 4, Html.percent(t), 10, Anchor.END, Rgb.TEXT);
        }
        for (double t : xs.ticks()) {
            f.line(X.applyAsDouble(t), y0, X.applyAsDouble(t), y0 + h, Rgb.GRID, 0.8);
            f.text(X.applyAsDouble(t), y0 + h + 16, Html.tick(t), 10, Anchor.MIDDLE, Rgb.TEXT);
        }
        f.text(x0 + w / 2, y0 + h + 36, "KL divergence on harmless prompts (log scale)", 11, Anchor.MIDDLE, Rgb.MUTED);
        f.vertical(14, y0 + h / 2, "refusal rate on harmful prompts", 11);
        java.util.Set<Integer> onFront = new java.util.HashSet<>();
        for (FrontFile.Point t : file.front()) onFront.add(t.trial());
        List<FrontFile.Point> front = file.front().stream().sorted(java.util.Comparator.comparingDouble(FrontFile.Point::kl)).toList();
        for (int i = 0; i + 1 < front.size(); i++) {
            FrontFile.Point a = front.get(i), b = front.get(i + 1);
            f.line(X.applyAsDouble(a.kl()), Y.applyAsDouble(a.refusalRate()), X.applyAsDouble(b.kl()), Y.applyAsDouble(a.refusalRate()), FRONT, 1.5);
            f.line(X.applyAsDouble(b.kl()), Y.applyAsDouble(a.refusalRate()), X.applyAsDouble(b.kl()), Y.applyAsDouble(b.refusalRate()), FRONT, 1.5);
        }
        for (FrontFile.Point t : trials) {
            if (onFront.contains(t.trial())) continue;
            f.cell(X.applyAsDouble(t.kl()) - 3, Y.applyAsDouble(t.refusalRate()) - 3, 6, 6, TRIAL, "trial " + t.trial() + ": refusal "
                    + Html.percent(t.refusalRate()) + ", KL " + Html.num(t.kl()));
        }
        for (FrontFile.Point t : front) {
            f.cell(X.applyAsDouble(t.kl()) - 4, Y.applyAsDouble(t.refusalRate()) - 4, 8, 8, FRONT, "trial " + t.trial() + " (front): refusal "
                    + Html.percent(t.refusalRate()) + ", KL " + Html.num(t.kl()));
        }
        if (paper != null) {
            f.cell(X.applyAsDouble(paper.val().kl()) - 5, Y.applyAsDouble(paper.val().refusalRate()) - 5, 10, 10, PAPER, paperLabel(paper) + ": refusal "
                    + Html.percent(paper.val().refusalRate()) + ", KL " + Html.num(paper.val().kl()));
        }
        f.outline(x0, y0, w, h, Rgb.MUTED, 1);
        return f;
    }
}
