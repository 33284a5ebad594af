package dev.refusal4j.report;

import dev.refusal4j.report.Figure.Anchor;
import java.util.List;

/**
 * Lines over integer x (layers), one per series, with optional ±error whiskers, a legend, and an
 * optional vertical marker (the direction's layer). A non-finite value breaks its line.
 */
final class LineChart {
    /** @param error per point, the half-length of the whisker drawn around the value (null: none) */
    record Series(String label, List<Double> values, List<Double> error, Rgb color) {}

    /** A dashed vertical line at {@code x}, labelled at its top. */
    record Marker(double x, String label) {}

    private LineChart() {}

    static Figure draw(String title, String subtitle, String xLabel, String yLabel, List<Series> series, Marker marker) {
        int most = 0;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            most = Math.max(most, s.values().size());
            for (int i = 0; i < s.values().size(); i++) {
                double v = s.values().get(i), e = error(s, i);
                if (!Double.isFinite(v)) continue;
                lo = Math.min(lo, v - e);
                hi = Math.max(hi, v + e);
            }
        }
        if (!(lo <= hi) || !Double.isFinite(hi - lo)) { // nothing to draw, or a damaged file's extremes: the values are clamped to the plot
            lo = 0;
            hi = 1;
        }
        if (hi == lo) {
            lo -= 0.5;
            hi += 0.5;
        }
        double step = Scale.niceStep((hi - lo) / 4);
        lo = Math.floor(lo / step + 1e-9) * step;
        hi = Math.ceil(hi / step - 1e-9) * step;
        Scale.Linear scale = new Scale.Linear(lo, hi);
        final int n = most;

        double legendW = 0;
        for (Series s : series) legendW += 26 + Figure.textWidth(s.label(), 11) + 14;
        double x0 = 60, y0 = 76, h = 240, w = Math.max(Math.min(legendW, 720), Math.max(320, Math.min(720, 36.0 * Math.max(1, n - 1))));
        double width = Math.max(x0 + w + 24, Math.max(x0 + legendW + 20, x0 + 20 + Math.max(Figure.textWidth(title, 15) * 1.1,
                subtitle == null ? 0 : Figure.textWidth(subtitle, 11))));
        Figure f = new Figure(title, width, y0 + h + 48);
        f.bold(x0, 18, title, 15, Anchor.START);
        if (subtitle != null) f.text(x0, 35, subtitle, 11, Anchor.START, Rgb.MUTED);
        double lx = x0;
        for (Series s : series) {
            f.line(lx, 48, lx + 16, 48, s.color(), 2.5);
            f.text(lx + 20, 52, s.label(), 11, Anchor.START, Rgb.TEXT);
            lx += 26 + Figure.textWidth(s.label(), 11) + 14;
        }
        final double fLo = lo, fHi = hi;
        java.util.function.DoubleUnaryOperator yOf = v -> y0 + h - Math.clamp((v - fLo) / (fHi - fLo), 0, 1) * h;
        java.util.function.IntToDoubleFunction xOf = i -> n <= 1 ? x0 + w / 2 : x0 + i * w / (n - 1);
        for (double t : scale.ticks()) {
            double y = yOf.applyAsDouble(t);
            f.line(x0, y, x0 + w, y, Math.abs(t) < step * 1e-9 ? Rgb.MUTED : Rgb.GRID, Math.abs(t) < step * 1e-9 ? 1 : 0.8);
            f.text(x0 - 6, y + 4, Html.tick(t), 10, Anchor.END, Rgb.TEXT);
        }
        int every = Math.max(1, (int) Math.ceil(n / (w / 28)));  // x labels at least 28 px apart
        for (int i = 0; i < n; i += every) f.text(xOf.applyAsDouble(i), y0 + h + 16, Integer.toString(i), 10, Anchor.MIDDLE, Rgb.TEXT);
        f.line(x0, y0 + h, x0 + w, y0 + h, Rgb.MUTED, 1);
        f.text(x0 + w / 2, y0 + h + 36, xLabel, 11, Anchor.MIDDLE, Rgb.MUTED);
        f.vertical(14, y0 + h / 2, yLabel, 11);
        if (marker != null && marker.x() >= 0 && marker.x() <= Math.max(0, n - 1)) {
            double mx = n <= 1 ? x0 + w / 2 : x0 + marker.x() * w / (n - 1);
            f.line(mx, y0 - 4, mx, y0 + h, Rgb.TEXT, 1, 0.7, true);
            f.text(mx + 4, y0 + 6, marker.label(), 10, Anchor.START, Rgb.TEXT);
        }
        for (Series s : series) {
            for (int i = 0; i < s.values().size(); i++) {
                double v = s.values().get(i), e = error(s, i);
                if (!Double.isFinite(v)) continue;
                double x = xOf.applyAsDouble(i);
                if (e > 0) f.line(x, yOf.applyAsDouble(v - e), x, yOf.applyAsDouble(v + e), s.color(), 1, 0.45, false);
                if (i + 1 < s.values().size() && Double.isFinite(s.values().get(i + 1))) {
                    f.line(x, yOf.applyAsDouble(v), xOf.applyAsDouble(i + 1), yOf.applyAsDouble(s.values().get(i + 1)), s.color(), 2);
                }
                f.cell(x - 3, yOf.applyAsDouble(v) - 3, 6, 6, s.color(), s.label() + ", " + xLabel + " " + i + ": " + Html.num(v)
                        + (e > 0 ? " ± " + Html.num(e) : ""));
            }
        }
        return f;
    }

    private static double error(Series s, int i) {
        if (s.error() == null || i >= s.error().size()) return 0;
        double e = s.error().get(i);
        return Double.isFinite(e) ? Math.abs(e) : 0;
    }
}
