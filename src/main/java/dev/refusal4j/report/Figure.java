package dev.refusal4j.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A drawing in CSS pixels (origin top left): rectangles, lines and text. Charts build one, and
 * {@link Svg} and {@link Png} render the same list, so both files always show the same plot.
 */
final class Figure {
    sealed interface Shape permits Rect, Line, Text {}

    /** {@code fill} or {@code stroke} null: not drawn. {@code tooltip}: shown on hover in SVG. */
    record Rect(double x, double y, double w, double h, Rgb fill, Rgb stroke, double strokeWidth, String tooltip) implements Shape {}

    record Line(double x1, double y1, double x2, double y2, Rgb color, double width, double opacity, boolean dashed) implements Shape {}

    enum Anchor { START, MIDDLE, END }

    /** (x, y) is the baseline point; {@code vertical} text reads bottom to top, turned about (x, y). */
    record Text(double x, double y, String text, double size, Anchor anchor, Rgb color, boolean bold, boolean vertical) implements Shape {}

    static final String FONTS = "DejaVu Sans, Helvetica, Arial, sans-serif";

    final String title;
    final double width, height;
    final List<Shape> shapes = new ArrayList<>();

    Figure(String title, double width, double height) {
        this.title = title;
        this.width = Math.ceil(width);
        this.height = Math.ceil(height);
    }

    void rect(double x, double y, double w, double h, Rgb fill) {
        shapes.add(new Rect(x, y, w, h, fill, null, 0, null));
    }

    void cell(double x, double y, double w, double h, Rgb fill, String tooltip) {
        shapes.add(new Rect(x, y, w, h, fill, null, 0, tooltip));
    }

    void outline(double x, double y, double w, double h, Rgb stroke, double width) {
        shapes.add(new Rect(x, y, w, h, null, stroke, width, null));
    }

    void line(double x1, double y1, double x2, double y2, Rgb color, double width) {
        shapes.add(new Line(x1, y1, x2, y2, color, width, 1, false));
    }

    void line(double x1, double y1, double x2, double y2, Rgb color, double width, double opacity, boolean dashed) {
        shapes.add(new Line(x1, y1, x2, y2, color, width, opacity, dashed));
    }

    void text(double x, double y, String s, double size, Anchor anchor, Rgb color) {
        shapes.add(new Text(x, y, clip(s), size, anchor, color, false, false));
    }

    void bold(double x, double y, String s, double size, Anchor anchor) {
        shapes.add(new Text(x, y, clip(s), size, anchor, Rgb.TEXT, true, false));
    }

    void vertical(double x, double y, String s, double size) {
        shapes.add(new Text(x, y, clip(s), size, Anchor.MIDDLE, Rgb.MUTED, false, true));
    }

    /** Vertical text whose end sits at (x, y): a label hanging below an axis, reading upwards. */
    void hanging(double x, double y, String s, double size) {
        shapes.add(new Text(x, y, clip(s), size, Anchor.END, Rgb.TEXT, false, true));
    }

    /** Rough width of a label as drawn (clipped), for layout before any font is known (DejaVu Sans averages ~0.6 em). */
    static double textWidth(String s, double size) {
        return clip(s).length() * size * 0.6;
    }

    /** Characters a label shows at most: a model name or category from a damaged file must not make a plot miles wide. */
    static final int MAX_LABEL = 100;

    static String clip(String s) {
        if (s.codePointCount(0, s.length()) <= MAX_LABEL) return s;
        return s.substring(0, s.offsetByCodePoints(0, MAX_LABEL - 1)) + "…";
    }
}
