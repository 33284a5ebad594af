package dev.refusal4j.report;

import java.util.Locale;

/** Escaping and number formatting for the report. Everything from artifacts goes through {@link #esc}. */
final class Html {
    private Html() {}

    /**
     * Text safe inside an element or a quoted attribute. Model output may hold anything: markup
     * characters are escaped, and characters that HTML/XML cannot carry (control characters,
     * lone surrogates) are shown as visible \\uXXXX escapes instead of being dropped.
     */
    static String esc(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                case '\n', '\t' -> sb.append(c);
                case '\r' -> { if (i + 1 >= s.length() || s.charAt(i + 1) != '\n') sb.append('\n'); }
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 || (c >= 0x7f && c < 0xa0) || Character.isSurrogate(c) || c == 0xfffe || c == 0xffff) {
                        sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    static String percent(double rate) {
        return Double.isFinite(rate) ? String.format(Locale.ROOT, "%.1f%%", 100 * rate) : "n/a";
    }

    /** Four significant digits, plain notation where it reads well, scientific for very small or large values. */
    static String num(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "∞" : "-∞";
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) return String.format(Locale.ROOT, "%.2e", v);
        String s = String.format(Locale.ROOT, a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : a >= 1 ? "%.3f" : "%.4f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** A short tick label: 0.1, 2, 1e-3. */
    static String tick(double v) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a < 1e-2 || a >= 1e4) {
            int e = (int) Math.round(Math.log10(a));
            if (Math.abs(a - Math.pow(10, e)) < 1e-9 * a) return (v < 0 ? "-" : "") + "1e" + e;
            return String.format(Locale.ROOT, "%.1e", v);
        }
        return num(v);
    }
}
