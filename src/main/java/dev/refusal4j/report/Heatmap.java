package dev.refusal4j.report;

import dev.refusal4j.artifacts.Candidates;

import dev.refusal4j.report.Figure.Anchor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * One candidate score over layer (x) × position (y), as in the paper's figures: a colorbar with
 * values, filtered candidates crossed out, the selected candidate outlined, and the layers the
 * run prunes behind a dashed line. A score that selection did not compute (the candidate was
 * removed by a filter first) is a pale cell marked "not scored", apart from NaN scores.
 */
final class Heatmap {
    enum Score {
        BYPASS("bypass", "Bypass score", "refusal score",
                "harmful val prompts, direction ablated at every layer; lower = refusal removed", null,
                Candidates.Candidate::bypass),
        INDUCE("induce", "Induce score", "refusal score",
                "harmless val prompts, direction added at its layer; higher = refusal induced", "induce",
                Candidates.Candidate::induce),
        KL("kl", "KL score", "KL (log scale)",
                "KL(base ‖ ablated) at the last position, harmless val prompts; lower = less side effect", "kl",
                Candidates.Candidate::kl);

        final String file, title, unit, subtitle, thresholdKey;
        final ToDoubleFunction<Candidates.Candidate> value;

        Score(String file, String title, String unit, String subtitle, String thresholdKey, ToDoubleFunction<Candidates.Candidate> value) {
            this.file = file;
            this.title = title;
            this.unit = unit;
            this.subtitle = subtitle;
            this.thresholdKey = thresholdKey;
            this.value = value;
        }

        Colormap colormap() {
            return this == KL ? Colormap.SEQUENTIAL : Colormap.DIVERGING;
        }

        Scale scale(double[] values) {
            return this == KL ? Scale.log(values) : Scale.diverging(values);
        }
    }

    static final double CELL_H = 30, TOP = 58, COLORBAR_W = 14;
    /** Cells a heatmap draws at most: 64 positions x 1024 layers, far more than a run has (about 5 x 32). */
    static final int MAX_CELLS = 65_536;
    static final Rgb MISSING = Rgb.hex("#eeeeee"), NAN = Rgb.hex("#9e9e9e"), NOT_SCORED = Rgb.hex("#f8f8f8");

    private Heatmap() {}

    static Figure draw(Candidates c, Score score) {
        List<Integer> positions = c.positions();
        int P = positions.size(), L = c.numLayers();
        double cellW = Math.clamp(860.0 / Math.max(L, 1), 12, 56);
        double[] values = c.list().stream().mapToDouble(score.value).toArray();
        Scale scale = score.scale(values);
        Colormap cmap = score.colormap();

        double labelW = 0;
        for (int p : positions) labelW = Math.max(labelW, Figure.textWidth(positionLabel(c, p), 11));
        double x0 = 34 + labelW, y0 = TOP, w = L * cellW, h = P * CELL_H;
        double cbX = x0 + w + 22, cbH = Math.max(h, 120);
        double legendY = y0 + Math.max(h + 58, cbH + 26);
        String title = score.title + (c.model() == null ? "" : " — " + c.model());
        String[] legend = legendTexts(c, score);
        double legendW = 22 + Figure.textWidth(legend[0], 11) + 50 + Figure.textWidth(legend[1], 11)
                + (legend.length > 2 ? 48 + Figure.textWidth(legend[2], 11) : 0);
        double width = Math.max(cbX + COLORBAR_W + 80, x0 + 20 + Math.max(Math.max(Figure.textWidth(title, 15) * 1.1,
                Figure.textWidth(score.subtitle, 11)), legendW));
        Figure f = new Figure(score.title + " over layer × position", width, legendY + 12);

        f.bold(x0, 18, title, 15, Anchor.START);
        f.text(x0, 35, score.subtitle, 11, Anchor.START, Rgb.MUTED);

        // cells
        Map<Candidates.Cell, Candidates.Candidate> byCell = new java.util.HashMap<>();
        for (Candidates.Candidate k : c.list()) byCell.putIfAbsent(new Candidates.Cell(k.position(), k.layer()), k); // first wins, as Candidates.at
        for (int pi = 0; pi < P; pi++) {
            double y = y0 + pi * CELL_H;
            for (int l = 0; l < L; l++) {
                double x = x0 + l * cellW;
                Candidates.Candidate k = byCell.get(new Candidates.Cell(positions.get(pi), l));
                if (k == null) {
                    f.cell(x, y, cellW, CELL_H, MISSING, "position " + positions.get(pi) + ", layer " + l + ": no candidate");
                    continue;
                }
                double v = score.value.applyAsDouble(k);
                Rgb fill = k.notScored(v) ? NOT_SCORED : Double.isNaN(v) ? NAN : cmap.at(scale.t(v));
                f.cell(x, y, cellW, CELL_H, fill, tooltip(k));
                if (!k.kept()) cross(f, x, y, cellW, CELL_H, fill);
            }
        }
        // axes
        f.outline(x0, y0, w, h, Rgb.MUTED, 0.6);
        for (int pi = 0; pi < P; pi++) {
            f.text(x0 - 6, y0 + pi * CELL_H + CELL_H / 2 + 4, positionLabel(c, positions.get(pi)), 11, Anchor.END, Rgb.TEXT);
        }
        f.vertical(14, y0 + h / 2, "position", 11);
        int every = 1;
        for (int k : new int[]{1, 2, 4, 5, 10, 20}) {
            every = k;
            if (k * cellW >= 20) break;
        }
        for (int l = 0; l < L; l += every) {
            double x = x0 + l * cellW + cellW / 2;
            f.line(x, y0 + h, x, y0 + h + 3, Rgb.MUTED, 0.8);
            f.text(x, y0 + h + 15, Integer.toString(l), 10, Anchor.MIDDLE, Rgb.TEXT);
        }
        f.text(x0 + w / 2, y0 + h + 32, "layer", 11, Anchor.MIDDLE, Rgb.MUTED);
        Integer pruned = c.prunedFrom();
        if (pruned != null && pruned > 0 && pruned < L) {
            double x = x0 + pruned * cellW;
            f.line(x, y0 - 8, x, y0 + h + 4, Rgb.TEXT, 1.2, 1, true);
            f.text(x - 3, y0 - 4, "pruned: layer ≥ " + pruned + " →", 10, Anchor.END, Rgb.MUTED);
        }
        // selected candidate
        Candidates.Cell sel = c.selected();
        int selRow = sel == null ? -1 : positions.indexOf(sel.position());
        if (selRow >= 0 && sel.layer() >= 0 && sel.layer() < L) {
            double x = x0 + sel.layer() * cellW, y = y0 + selRow * CELL_H;
            f.outline(x - 1, y - 1, cellW + 2, CELL_H + 2, Rgb.BLACK, 2.5);
            f.outline(x + 1.5, y + 1.5, cellW - 3, CELL_H - 3, Rgb.WHITE, 1);
        }
        colorbar(f, c, score, scale, cmap, cbX, y0, cbH);
        legend(f, score, legend, x0, legendY);
        return f;
    }

    private static void colorbar(Figure f, Candidates c, Score score, Scale scale, Colormap cmap, double x, double y0, double h) {
        int steps = 64;
        for (int i = 0; i < steps; i++) {
            // top of the bar is the high end
            f.rect(x, y0 + h - (i + 1) * h / steps, COLORBAR_W, h / steps + 0.6, cmap.at((i + 0.5) / steps));
        }
        f.outline(x, y0, COLORBAR_W, h, Rgb.MUTED, 0.6);
        f.text(x, y0 - 8, score.unit, 10, Anchor.START, Rgb.MUTED);
        Double threshold = score.thresholdKey == null ? null : c.thresholds().get(score.thresholdKey);
        double thrY = Double.NaN;
        if (threshold != null && Double.isFinite(threshold) && threshold >= scale.min() && threshold <= scale.max()) {
            thrY = y0 + h - scale.t(threshold) * h;
            f.line(x - 4, thrY, x + COLORBAR_W + 4, thrY, Rgb.BLACK, 2);
            f.bold(x + COLORBAR_W + 7, thrY + 4, "limit " + Html.tick(threshold), 10, Anchor.START);
        }
        for (double t : scale.ticks()) {
            double y = y0 + h - scale.t(t) * h;
            f.line(x + COLORBAR_W, y, x + COLORBAR_W + 3, y, Rgb.MUTED, 0.8);
            if (Double.isNaN(thrY) || Math.abs(y - thrY) >= 11) f.text(x + COLORBAR_W + 6, y + 4, Html.tick(t), 10, Anchor.START, Rgb.TEXT);
        }
    }

    /**
     * The legend entries: how many candidates are crossed out, which one is outlined, and (when
     * some are) how many cells are not scored.
     */
    private static String[] legendTexts(Candidates c, Score score) {
        long filtered = c.list().stream().filter(k -> !k.kept()).count();
        long notScored = c.list().stream().filter(k -> k.notScored(score.value.applyAsDouble(k))).count();
        Candidates.Candidate s = c.selectedCandidate();
        String selected = c.selected() == null ? "no candidate selected"
                : "selected: position " + c.selected().position() + ", layer " + c.selected().layer()
                + (s == null ? "" : " (" + score.file + " " + Html.num(score.value.applyAsDouble(s)) + ")");
        String removed = "filtered out (" + filtered + " of " + c.list().size() + ")";
        return notScored == 0 ? new String[]{removed, selected}
                : new String[]{removed, selected, "not scored (" + notScored + "; --score-all scores them)"};
    }

    private static void legend(Figure f, Score score, String[] texts, double x, double y) {
        Rgb sample = score.colormap().at(0.5);
        f.rect(x, y - 11, 16, 14, sample);
        cross(f, x, y - 11, 16, 14, sample);
        f.text(x + 22, y, texts[0], 11, Anchor.START, Rgb.TEXT);
        double sx = x + 22 + Figure.textWidth(texts[0], 11) + 26;
        f.rect(sx, y - 11, 16, 14, sample);
        f.outline(sx - 1, y - 12, 18, 16, Rgb.BLACK, 2.5);
        f.text(sx + 24, y, texts[1], 11, Anchor.START, Rgb.TEXT);
        if (texts.length > 2) {
            double nx = sx + 24 + Figure.textWidth(texts[1], 11) + 26;
            f.rect(nx, y - 11, 16, 14, NOT_SCORED);
            f.outline(nx, y - 11, 16, 14, Rgb.MUTED, 0.6);
            f.text(nx + 22, y, texts[2], 11, Anchor.START, Rgb.TEXT);
        }
    }

    /** A diagonal cross, light on dark cells and dark on light ones. */
    private static void cross(Figure f, double x, double y, double w, double h, Rgb fill) {
        Rgb ink = fill.isDark() ? Rgb.WHITE : Rgb.BLACK;
        double ix = Math.min(w, h) * 0.2, iy = ix;
        f.line(x + ix, y + iy, x + w - ix, y + h - iy, ink, 1.1, 0.55, false);
        f.line(x + ix, y + h - iy, x + w - ix, y + iy, ink, 1.1, 0.55, false);
    }

    static String tooltip(Candidates.Candidate k) {
        return "position " + k.position() + ", layer " + k.layer() + ": bypass " + shown(k, k.bypass())
                + ", induce " + shown(k, k.induce()) + ", KL " + shown(k, k.kl())
                + (k.kept() ? "" : " — filtered: " + k.filtered());
    }

    private static String shown(Candidates.Candidate k, double score) {
        return k.notScored(score) ? "not scored" : Html.num(score);
    }

    static String positionLabel(Candidates c, int position) {
        String tok = c.positionTokens().get(position);
        return tok == null ? Integer.toString(position) : position + "  " + visible(tok);
    }

    /** A token as a short quoted label with whitespace made visible. */
    static String visible(String tok) {
        String s = tok.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        if (s.length() > 18) s = s.substring(0, 17) + "…";
        return "'" + s + "'";
    }

    /** How many candidates each filter removed, most first. */
    static Map<String, Integer> filterCounts(Candidates c) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Candidates.Candidate k : c.list()) if (!k.kept()) counts.merge(k.filtered(), 1, Integer::sum);
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }
}
