package dev.refusal4j.report;

import java.util.Locale;

/** Writes a {@link Figure} as SVG: a standalone file, or an element to place inside HTML. */
final class Svg {
    private Svg() {}

    static String file(Figure f) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + element(f, true);
    }

    /** Inside HTML5 the SVG namespace is implied, so the page carries no URL at all. */
    static String inline(Figure f) {
        return element(f, false);
    }

    private static String element(Figure f, boolean standalone) {
        StringBuilder sb = new StringBuilder();
        sb.append("<svg");
        if (standalone) sb.append(" xmlns=\"http://www.w3.org/2000/svg\"");
        sb.append(" width=\"").append(num(f.width)).append("\" height=\"").append(num(f.height))
                .append("\" viewBox=\"0 0 ").append(num(f.width)).append(' ').append(num(f.height))
                .append("\" role=\"img\" aria-label=\"").append(Html.esc(f.title))
                .append("\" font-family=\"").append(Figure.FONTS).append("\">\n");
        sb.append("<title>").append(Html.esc(f.title)).append("</title>\n");
        sb.append("<rect x=\"0\" y=\"0\" width=\"").append(num(f.width)).append("\" height=\"").append(num(f.height)).append("\" fill=\"#ffffff\"/>\n");
        for (Figure.Shape s : f.shapes) {
            switch (s) {
                case Figure.Rect r -> rect(sb, r);
                case Figure.Line l -> {
                    sb.append("<line x1=\"").append(num(l.x1())).append("\" y1=\"").append(num(l.y1()))
                            .append("\" x2=\"").append(num(l.x2())).append("\" y2=\"").append(num(l.y2()))
                            .append("\" stroke=\"").append(l.color().hex()).append("\" stroke-width=\"").append(num(l.width())).append('"');
                    if (l.opacity() < 1) sb.append(" stroke-opacity=\"").append(num(l.opacity())).append('"');
                    if (l.dashed()) sb.append(" stroke-dasharray=\"4 3\"");
                    sb.append("/>\n");
                }
                case Figure.Text t -> {
                    sb.append("<text x=\"").append(num(t.x())).append("\" y=\"").append(num(t.y()))
                            .append("\" font-size=\"").append(num(t.size())).append("\" fill=\"").append(t.color().hex()).append('"');
                    if (t.anchor() != Figure.Anchor.START) sb.append(" text-anchor=\"").append(t.anchor() == Figure.Anchor.MIDDLE ? "middle" : "end").append('"');
                    if (t.bold()) sb.append(" font-weight=\"bold\"");
                    if (t.vertical()) sb.append(" transform=\"rotate(-90 ").append(num(t.x())).append(' ').append(num(t.y())).append(")\"");
                    sb.append('>').append(Html.esc(t.text())).append("</text>\n");
                }
            }
        }
        return sb.append("</svg>\n").toString();
    }

    private static void rect(StringBuilder sb, Figure.Rect r) {
        sb.append("<rect x=\"").append(num(r.x())).append("\" y=\"").append(num(r.y()))
                .append("\" width=\"").append(num(r.w())).append("\" height=\"").append(num(r.h()))
                .append("\" fill=\"").append(r.fill() == null ? "none" : r.fill().hex()).append('"');
        if (r.stroke() != null) sb.append(" stroke=\"").append(r.stroke().hex()).append("\" stroke-width=\"").append(num(r.strokeWidth())).append('"');
        if (r.tooltip() == null) {
            sb.append("/>\n");
        } else {
            sb.append("><title>").append(Html.esc(r.tooltip())).append("</title></rect>\n");
        }
    }

    /** Shortest fixed-point form with at most two decimals: the same figure always gives the same bytes. */
    static String num(double v) {
        String s = String.format(Locale.ROOT, "%.2f", v);
        if (s.contains(".")) s = s.replaceAll("0+$", "").replaceAll("\\.$", "");
        return s.equals("-0") ? "0" : s;
    }
}
