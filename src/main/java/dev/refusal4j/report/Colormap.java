package dev.refusal4j.report;

import java.util.List;

/**
 * A colormap: evenly spaced color stops, linearly interpolated. {@link #at}(0) is the low end,
 * {@link #at}(1) the high end.
 */
record Colormap(String name, List<Rgb> stops) {

    /** Blue (low) - white (0) - red (high): ColorBrewer's RdBu, reversed so that red means "refuses". */
    static final Colormap DIVERGING = of("RdBu_r",
            "#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
            "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f");

    /** Dark purple (low) to yellow (high), perceptually even (viridis, sampled at 10 points). */
    static final Colormap SEQUENTIAL = of("viridis",
            "#440154", "#482878", "#3e4989", "#31688e", "#26828e",
            "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725");

    static Colormap of(String name, String... hex) {
        return new Colormap(name, java.util.Arrays.stream(hex).map(Rgb::hex).toList());
    }

    Rgb low() {
        return stops.getFirst();
    }

    Rgb high() {
        return stops.getLast();
    }

    /** Color at t in [0, 1] (clamped). */
    Rgb at(double t) {
        if (!(t > 0)) return low();
        if (t >= 1) return high();
        double f = t * (stops.size() - 1);
        int i = (int) f;
        return stops.get(i).mix(stops.get(i + 1), f - i);
    }
}
