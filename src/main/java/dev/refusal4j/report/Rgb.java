package dev.refusal4j.report;

import java.util.Locale;

/** An opaque sRGB color, 0..255 per channel. */
record Rgb(int r, int g, int b) {
    static final Rgb BLACK = new Rgb(0, 0, 0);
    static final Rgb WHITE = new Rgb(255, 255, 255);
    static final Rgb TEXT = new Rgb(0x22, 0x22, 0x22);
    static final Rgb MUTED = new Rgb(0x66, 0x66, 0x66);
    static final Rgb GRID = new Rgb(0xdd, 0xdd, 0xdd);

    static Rgb hex(String h) {
        int v = Integer.parseInt(h.startsWith("#") ? h.substring(1) : h, 16);
        return new Rgb((v >> 16) & 255, (v >> 8) & 255, v & 255);
    }

    String hex() {
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }

    int argb() {
        return 0xff000000 | (r << 16) | (g << 8) | b;
    }

    /** Linear blend: t = 0 gives this, t = 1 gives {@code o}. */
    Rgb mix(Rgb o, double t) {
        return new Rgb((int) Math.round(r + (o.r - r) * t), (int) Math.round(g + (o.g - g) * t), (int) Math.round(b + (o.b - b) * t));
    }

    /** Relative luminance (WCAG), used to pick dark or light marks and text on a fill. */
    double luminance() {
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    }

    boolean isDark() {
        return luminance() < 0.28;
    }

    private static double lin(int c) {
        double s = c / 255.0;
        return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
    }
}
