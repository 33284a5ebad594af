package dev.refusal4j.optimize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A multi-objective Tree-structured Parzen Estimator (Bergstra et al. 2011; the multi-objective
 * split of Ozaki et al. 2020, as Optuna's TPE sampler does it), univariate. After {@code startup}
 * uniformly random trials, the finished trials are split into a good group (the best
 * ⌈0.1 n⌉, at most 25, by Pareto rank and then crowding distance) and the rest (pruned trials
 * always among the rest); for each parameter a Parzen density l is fitted to the good values and
 * g to the others, and of {@link #CANDIDATES} values drawn from l the one with the largest
 * l(x)/g(x) is proposed.
 *
 * <p>Why TPE: a trial costs a few seconds of generation, so the sampler's own cost does not
 * matter, but the budget is ~100 trials over 12 mixed parameters (continuous, integer,
 * categorical). A Gaussian process needs a kernel for the categories and cubic time in the
 * trials; evolutionary methods (NSGA-II) need several hundred evaluations to move a population;
 * TPE handles mixed types natively, is robust with few observations, and is what heretic uses,
 * so the numbers compare.
 *
 * <p>Every trial's random numbers come from its own stream, seeded by the study seed and the
 * trial number: a resumed search proposes what an uninterrupted one would have.
 */
public final class Tpe {
    /** A finished trial: its point and objectives (all minimised), null when it was pruned. */
    public record Observation(Map<String, Double> params, double[] objectives) {}

    static final int CANDIDATES = 24;

    private final SearchSpace space;
    private final long seed;
    private final int startup;

    public Tpe(SearchSpace space, long seed, int startup) {
        if (startup < 1) throw new IllegalArgumentException("startup trials must be at least 1, got " + startup);
        this.space = space;
        this.seed = seed;
        this.startup = startup;
    }

    /** The point of trial {@code trial} (numbered from 0) given the trials before it. */
    public Map<String, Double> suggest(int trial, List<Observation> history) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + trial);
        List<Observation> done = history.stream().filter(o -> o.objectives() != null).toList();
        Map<String, Double> out = new LinkedHashMap<>();
        if (trial < startup || done.size() < 2) {
            for (SearchSpace.Param p : space.params) out.put(p.name(), uniform(p, rng));
            return out;
        }
        List<Observation> good = new ArrayList<>(), bad = new ArrayList<>();
        split(done, good, bad);
        for (Observation o : history) if (o.objectives() == null) bad.add(o);
        for (SearchSpace.Param p : space.params) {
            double[] gv = values(good, p), bv = values(bad, p);
            double best = Double.NaN, bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < CANDIDATES; c++) {
                double x = p.categorical() ? sampleCategory(p, gv, rng) : sampleNumber(p, gv, rng);
                double score = p.categorical() ? logCategory(p, gv, x) - logCategory(p, bv, x) : logNumber(p, gv, x) - logNumber(p, bv, x);
                if (score > bestScore) {
                    bestScore = score;
                    best = x;
                }
            }
            out.put(p.name(), best);
        }
        return out;
    }

    /** The good group: the first ⌈0.1 n⌉ (1..25) by Pareto rank, ties broken by larger crowding distance, then by trial order. */
    static void split(List<Observation> done, List<Observation> good, List<Observation> bad) {
        int n = done.size(), nGood = Math.clamp((long) Math.ceil(0.1 * n), 1, 25);
        List<double[]> pts = done.stream().map(Observation::objectives).toList();
        int[] rank = Pareto.ranks(pts);
        double[] crowd = new double[n];
        for (int r = 0; r <= java.util.Arrays.stream(rank).max().orElse(0); r++) {
            List<Integer> idx = new ArrayList<>();
            for (int i = 0; i < n; i++) if (rank[i] == r) idx.add(i);
            double[] c = Pareto.crowding(idx.stream().map(pts::get).toList());
            for (int k = 0; k < idx.size(); k++) crowd[idx.get(k)] = c[k];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) order.add(i);
        order.sort(Comparator.<Integer>comparingInt(i -> rank[i]).thenComparing(i -> -crowd[i]).thenComparingInt(i -> i));
        for (int k = 0; k < n; k++) (k < nGood ? good : bad).add(done.get(order.get(k)));
    }

    private static double[] values(List<Observation> obs, SearchSpace.Param p) {
        return obs.stream().mapToDouble(o -> o.params().get(p.name())).toArray();
    }

    static double uniform(SearchSpace.Param p, SplittableRandom rng) {
        if (p.categorical()) return rng.nextInt(p.choices().size());
        double x = p.low() + rng.nextDouble() * (p.high() - p.low());
        return p.integer() ? Math.clamp(Math.round(x), (long) p.low(), (long) p.high()) : x;
    }

    // --- categorical: smoothed frequencies, (count + 1) / (n + C)

    private static double logCategory(SearchSpace.Param p, double[] xs, double x) {
        int count = 0;
        for (double v : xs) if (v == x) count++;
        return Math.log((count + 1.0) / (xs.length + p.choices().size()));
    }

    private static double sampleCategory(SearchSpace.Param p, double[] xs, SplittableRandom rng) {
        int C = p.choices().size();
        double u = rng.nextDouble() * (xs.length + C);
        for (int c = 0; c < C; c++) {
            int count = 0;
            for (double v : xs) if (v == c) count++;
            u -= count + 1;
            if (u < 0) return c;
        }
        return C - 1;
    }

    // --- numbers: a mixture of Gaussians truncated to [low, high], one per observation and a wide prior

    /** Means and widths of the mixture: the prior first, then each observation with the larger gap to its neighbours (the range's ends count). */
    static double[][] mixture(SearchSpace.Param p, double[] xs) {
        double lo = p.low(), hi = p.high(), range = hi - lo;
        double[] sorted = xs.clone();
        java.util.Arrays.sort(sorted);
        double[] mu = new double[xs.length + 1], sigma = new double[xs.length + 1];
        mu[0] = (lo + hi) / 2;
        sigma[0] = range;
        double minSigma = range / Math.min(100.0, xs.length + 1.0);
        for (int i = 0; i < sorted.length; i++) {
            double left = i == 0 ? lo : sorted[i - 1], right = i == sorted.length - 1 ? hi : sorted[i + 1];
            mu[i + 1] = sorted[i];
            sigma[i + 1] = Math.clamp(Math.max(sorted[i] - left, right - sorted[i]), minSigma, range);
        }
        return new double[][] {mu, sigma};
    }

    private static double sampleNumber(SearchSpace.Param p, double[] xs, SplittableRandom rng) {
        double[][] m = mixture(p, xs);
        int k = rng.nextInt(m[0].length);
        double x = Double.NaN;
        for (int tries = 0; tries < 100; tries++) {
            double y = m[0][k] + m[1][k] * gaussian(rng);
            if (y >= p.low() && y <= p.high()) {
                x = y;
                break;
            }
        }
        if (Double.isNaN(x)) x = Math.clamp(m[0][k], p.low(), p.high());
        return p.integer() ? Math.clamp(Math.round(x), (long) p.low(), (long) p.high()) : x;
    }

    private static double logNumber(SearchSpace.Param p, double[] xs, double x) {
        double[][] m = mixture(p, xs);
        double sum = 0;
        for (int k = 0; k < m[0].length; k++) {
            double mu = m[0][k], s = m[1][k];
            double mass = phi((p.high() - mu) / s) - phi((p.low() - mu) / s);
            double z = (x - mu) / s;
            sum += Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
        }
        return Math.log(sum / m[0].length + 1e-300);
    }

    /** A standard normal draw (Box–Muller; one of the pair is used, so the stream's use stays simple). */
    private static double gaussian(SplittableRandom rng) {
        double u = 1 - rng.nextDouble(), v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** Standard normal CDF from erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7: ample for a density ratio). */
    static double phi(double z) {
        double x = Math.abs(z) / Math.sqrt(2);
        double t = 1 / (1 + 0.3275911 * x);
        double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
        return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
