package dev.refusal4j.report;

import java.util.ArrayList;
import java.util.List;

/** Maps a data value to [0, 1] along a colorbar, and names the tick values to print beside it. */
sealed interface Scale {

    double t(double value);

    double min();

    double max();

    List<Double> ticks();

    /** Symmetric around 0, so that 0 is the colormap's middle: [-m, m] with m = max |v|. */
    static Scale diverging(double[] values) {
        double m = 0;
        for (double v : values) if (Double.isFinite(v)) m = Math.max(m, Math.abs(v));
        return new Linear(-(m > 0 ? m : 1), m > 0 ? m : 1);
    }

    /**
     * Logarithmic from the smallest positive value to the largest: KL divergences span several
     * decades and the interesting boundary (0.1) sits near the bottom of a linear scale.
     * Values at or below the smallest positive one get the low end.
     */
    static Scale log(double[] values) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double v : values) {
            if (!Double.isFinite(v)) continue;
            if (v > 0) lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (hi <= 0) return new Linear(0, 1);
        if (hi <= lo) lo = hi / 10;
        return new Log(lo, hi);
    }

    record Linear(double min, double max) implements Scale {
        @Override
        public double t(double v) {
            return Math.clamp((v - min) / (max - min), 0.0, 1.0);
        }

        @Override
        public List<Double> ticks() {
            double step = niceStep((max - min) / 4);
            List<Double> ticks = new ArrayList<>();
            for (long k = (long) Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) ticks.add(k * step);
            return ticks;
        }
    }

    record Log(double min, double max) implements Scale {
        @Override
        public double t(double v) {
            if (!(v > min)) return 0;
            return Math.clamp(Math.log(v / min) / Math.log(max / min), 0.0, 1.0);
        }

        @Override
        public List<Double> ticks() {
            List<Double> ticks = new ArrayList<>();
            for (int e = (int) Math.ceil(Math.log10(min) - 1e-9); Math.pow(10, e) <= max * (1 + 1e-9); e++) ticks.add(Math.pow(10, e));
            if (ticks.size() < 2) {
                ticks.addFirst(min);
                ticks.addLast(max);
            }
            return ticks;
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) return 1;
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[]{1, 2, 5, 10}) if (m * p >= raw * (1 - 1e-9)) return m * p;
        return 10 * p;
    }
}
