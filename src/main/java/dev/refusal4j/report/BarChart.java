package dev.refusal4j.report;

import dev.refusal4j.report.Figure.Anchor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Grouped vertical bars, with a legend of bar colors: rates in [0, 1] shown as percent, or any values on a linear axis. */
final class BarChart {
    record Bar(String label, double value, Rgb color) {}

    record Group(String name, List<Bar> bars) {}

    /**
     * The value axis: its label, its range (bars grow from 0, or from {@code min} when 0 is outside),
     * and whether values are shares printed as percent.
     */
    record Axis(String label, double min, double max, boolean percent) {
        /** Refusal rates, 0 to 100%. */
        static final Axis RATE = new Axis("refusal rate", 0, 1, true);

        /** A linear axis from 0 (or below) to the values' extent, rounded out to tick steps. */
        static Axis around(String label, List<Group> groups) {
            double lo = 0, hi = 0;
            for (Group g : groups) {
                for (Bar b : g.bars()) {
                    if (!Double.isFinite(b.value())) continue;
                    lo = Math.min(lo, b.value());
                    hi = Math.max(hi, b.value());
                }
            }
            if (hi == lo) hi = lo + 1;
            if (!Double.isFinite(hi - lo)) return new Axis(label, -1, 1, false); // a damaged file's extremes: bars clamp to the axis
            double step = Scale.niceStep((hi - lo) / 4);
            return new Axis(label, Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step, false);
        }

        List<Double> ticks() {
            if (percent) return List.of(min, min + (max - min) * 0.25, min + (max - min) * 0.5, min + (max - min) * 0.75, max);
            return new Scale.Linear(min, max).ticks();
        }

        String tick(double v) {
            return percent ? Math.round(100 * v) + "%" : Html.tick(v);
        }

        String value(double v) {
            if (!Double.isFinite(v)) return "n/a";
            return percent ? Math.round(100 * v) + "%" : Html.num(v);
        }
    }

    static final Rgb BASELINE = Rgb.hex("#8c8c8c"), ABLATION = Rgb.hex("#2166ac"), ACTADD = Rgb.hex("#b2182b");

    private BarChart() {}

    static Rgb colorOf(String condition) {
        if (condition.endsWith("ablation")) return ABLATION;
        if (condition.endsWith("actadd")) return ACTADD;
        return BASELINE;
    }

    static String conditionLabel(String condition) {
        String c = condition.substring(condition.indexOf('_') + 1);
        return switch (c) {
            case "actadd" -> "act. add";
            default -> c;
        };
    }

    /** Bars a chart draws at most (the first groups that fit): a file with thousands of categories gives a readable plot. */
    static final int MAX_BARS = 240;

    /**
     * @param barW width of one bar; value labels are printed on bars at least 26 px wide
     */
    static Figure draw(String title, String subtitle, List<Group> groups, double barW) {
        return draw(title, subtitle, groups, barW, Axis.RATE);
    }

    static Figure draw(String title, String subtitle, List<Group> groups, double barW, Axis axis) {
        int bars = 0, kept = 0;
        while (kept < groups.size() && bars + groups.get(kept).bars().size() <= MAX_BARS) bars += groups.get(kept++).bars().size();
        if (kept < groups.size()) {
            subtitle = (subtitle == null ? "" : subtitle + "; ") + "the first " + kept + " of " + groups.size() + " groups";
            groups = groups.subList(0, kept);
        }
        double gap = Math.max(3, barW * 0.18), groupGap = Math.max(18, barW * 0.8);
        double x0 = 52, y0 = 76, h = 220;
        double w = groupGap / 2;
        for (Group g : groups) w += g.bars().size() * (barW + gap) - gap + groupGap;
        // group names wider than their group hang vertically below the axis
        double widest = 0;
        boolean hang = false;
        for (Group g : groups) {
            double gw = g.bars().size() * (barW + gap) - gap + groupGap * 0.8;
            widest = Math.max(widest, Figure.textWidth(abbreviate(g.name()), 11));
            hang |= Figure.textWidth(abbreviate(g.name()), 11) > gw;
        }
        double groupLabelY = y0 + h + (barW >= 26 ? 34 : 18);
        Map<String, Rgb> legend = new LinkedHashMap<>();
        for (Group g : groups) for (Bar b : g.bars()) legend.putIfAbsent(b.label(), b.color());
        double legendW = 0;
        for (String k : legend.keySet()) legendW += 26 + Figure.textWidth(k, 11) + 14;
        double width = Math.max(x0 + w + 20, Math.max(x0 + legendW + 20, x0 + 20 + Math.max(Figure.textWidth(title, 15) * 1.1,
                subtitle == null ? 0 : Figure.textWidth(subtitle, 11))));
        Figure f = new Figure(title, width, hang ? y0 + h + 12 + widest + 8 : groupLabelY + 14);

        f.bold(x0, 18, title, 15, Anchor.START);
        if (subtitle != null) f.text(x0, 35, subtitle, 11, Anchor.START, Rgb.MUTED);
        double lx = x0;
        for (Map.Entry<String, Rgb> e : legend.entrySet()) {
            f.rect(lx, 43, 12, 10, e.getValue());
            f.text(lx + 16, 52, e.getKey(), 11, Anchor.START, Rgb.TEXT);
            lx += 26 + Figure.textWidth(e.getKey(), 11) + 14;
        }
        double span = axis.max() - axis.min(), base = Math.clamp(0, axis.min(), axis.max());
        java.util.function.DoubleUnaryOperator yOf = v -> y0 + h - (v - axis.min()) / span * h;
        for (double t : axis.ticks()) {
            double y = yOf.applyAsDouble(t);
            boolean zero = Math.abs(t - base) < span * 1e-9;
            f.line(x0, y, x0 + w, y, zero ? Rgb.MUTED : Rgb.GRID, zero ? 1 : 0.8);
            f.text(x0 - 6, y + 4, axis.tick(t), 10, Anchor.END, Rgb.TEXT);
        }
        f.vertical(14, y0 + h / 2, axis.label(), 11);
        double x = x0 + groupGap / 2;
        for (Group g : groups) {
            double gx = x;
            for (Bar b : g.bars()) {
                double v = Double.isFinite(b.value()) ? Math.clamp(b.value(), axis.min(), axis.max()) : base;
                boolean down = v < base;
                // a finite 0 still shows as a sliver, so that "0%" and "not measured" look different
                double bh = Double.isFinite(b.value()) ? Math.max(Math.abs(v - base) / span * h, 2) : 0;
                double top = down ? yOf.applyAsDouble(base) : yOf.applyAsDouble(base) - bh;
                f.cell(x, top, barW, bh, b.color(), g.name() + ", " + b.label() + ": " + (axis.percent() ? Html.percent(b.value()) : Html.num(b.value())));
                if (barW >= 26) {
                    f.text(x + barW / 2, down ? top + bh + 12 : top - 4, axis.value(b.value()), 11, Anchor.MIDDLE, Rgb.TEXT);
                    f.text(x + barW / 2, y0 + h + 14, b.label(), 10, Anchor.MIDDLE, Rgb.MUTED);
                }
                x += barW + gap;
            }
            x -= gap;
            if (hang) {
                f.hanging((gx + x) / 2 + 4, y0 + h + 8, abbreviate(g.name()), 11);
            } else {
                f.bold((gx + x) / 2, groupLabelY, g.name(), 11, Anchor.MIDDLE);
            }
            x += groupGap;
        }
        return f;
    }

    private static String abbreviate(String s) {
        return s.length() > 30 ? s.substring(0, 29) + "…" : s;
    }
}
