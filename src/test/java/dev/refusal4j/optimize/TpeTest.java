package dev.refusal4j.optimize;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TpeTest {
    /** Two objectives of a point: minimised at direction_index = 2 and attn_max_weight = 1.2 (together), traded against mlp_max_weight. */
    static double[] objectives(Map<String, Double> p) {
        double a = Math.pow(p.get(SearchSpace.INDEX) - 2, 2) + Math.pow(p.get("attn_max_weight") - 1.2, 2);
        double m = p.get("mlp_max_weight") / 1.5;
        return new double[] {a + m, a + (1 - m) + (p.get(SearchSpace.NORM) == 1 ? 0 : 0.3)};
    }

    /** Sum over trials of the smaller distance to the ideal point: lower when the sampler concentrates on the good region. */
    static double run(boolean modelled, long seed) {
        SearchSpace space = new SearchSpace(6);
        Tpe tpe = new Tpe(space, seed, modelled ? 10 : Integer.MAX_VALUE);
        List<Tpe.Observation> h = new ArrayList<>();
        double regret = 0;
        for (int t = 0; t < 60; t++) {
            Map<String, Double> p = tpe.suggest(t, h);
            space.check(p);
            double[] o = objectives(p);
            if (t >= 30) regret += o[0] + o[1];
            h.add(new Tpe.Observation(p, o));
        }
        return regret;
    }

    @Test
    void modelledTrialsBeatRandomOnesAndStayInRange() {
        for (long seed = 1; seed <= 3; seed++) {
            assertThat(run(true, seed)).as("seed %d: TPE's later trials vs random ones", seed).isLessThan(0.8 * run(false, seed));
        }
    }

    @Test
    void sameSeedAndHistorySamePoint() {
        SearchSpace space = new SearchSpace(5);
        Tpe a = new Tpe(space, 3, 2), b = new Tpe(space, 3, 2);
        List<Tpe.Observation> h = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Map<String, Double> p = a.suggest(t, h);
            assertThat(b.suggest(t, h)).isEqualTo(p);
            h.add(new Tpe.Observation(p, t % 3 == 0 ? null : objectives(p)));
        }
    }

    @Test
    void paretoRanksAndHypervolume() {
        List<double[]> pts = List.of(new double[] {0, 3}, new double[] {1, 1}, new double[] {3, 0}, new double[] {2, 2}, new double[] {3, 3});
        assertThat(Pareto.ranks(pts)).containsExactly(0, 0, 0, 1, 2);
        double[] ref = {4, 4};
        // the union of the rectangles to (4, 4): 4·1 + 3·2 (above y = 1, right of x = 1, below y = 3) + 1·1 = 11
        assertThat(Pareto.hypervolume(pts.subList(0, 3), ref)).isEqualTo(11.0);
        assertThat(Pareto.hypervolume(pts, ref)).as("dominated points add nothing").isEqualTo(11.0);
        // without (0,3): 9 + 1 = 10; without (1,1): 4 + 3 = 7; without (3,0): 4 + 6 = 10
        assertThat(Pareto.contributions(pts.subList(0, 3), ref)).containsExactly(1.0, 4.0, 1.0);
        assertThat(Pareto.reference(pts.subList(0, 3))).containsExactly(1.1 * 3, 1.1 * 3);
    }

    private static Tpe.Observation obs(double refusal, double kl) {
        return new Tpe.Observation(Map.of(), new double[] {refusal, kl});
    }

    /**
     * Of a front (0,3), (1,1), (3,0) and 17 dominated trials, the good group holds ⌈0.1·20⌉ = 2: the
     * knee (1,1) first (alone it bounds 2.3² = 5.29 below the reference (3.3, 3.3), each end
     * 0.99), then the first end by trial order (each adds 0.3). Crowding distance would take the two
     * ends and leave out the knee.
     */
    @Test
    void theGoodGroupTakesTheKneeFirst() {
        List<Tpe.Observation> done = new ArrayList<>(List.of(obs(0, 3), obs(1, 1), obs(3, 0)));
        for (int i = 0; i < 17; i++) done.add(obs(5 + i, 5 + i));
        List<Tpe.Observation> good = new ArrayList<>(), bad = new ArrayList<>();
        Tpe.split(done, good, bad);
        assertThat(good).containsExactly(done.get(0), done.get(1));
        assertThat(bad).hasSize(18).contains(done.get(2));
    }

    /**
     * Weights in l, by hand below the reference (3.3, 3.3), where the four bound 0.99 + 4.6 + 0.3 = 5.89:
     * without an end 5.59 (contribution 0.3); without the knee (1,1) the dominated (2,2) comes
     * forward, 0.99 + 1.3 + 0.6 = 2.89 (contribution 3.0); without (2,2) nothing is lost. Over the
     * largest: 0.1, 1, 0.1, and the smallest weight for (2,2).
     */
    @Test
    void goodObservationsWeighByTheirHypervolume() {
        double[] w = Tpe.weights(List.of(obs(0, 3), obs(1, 1), obs(3, 0), obs(2, 2)));
        assertThat(w[0]).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(w[1]).isEqualTo(1.0);
        assertThat(w[2]).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(w[3]).isEqualTo(Tpe.EPS);
        assertThat(Tpe.weights(List.of(obs(1, 1)))).containsExactly(1.0);
    }

    @Test
    void normalCdf() {
        assertThat(Tpe.phi(0)).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-7));
        assertThat(Tpe.phi(1.959964)).isCloseTo(0.975, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(Tpe.phi(-1)).isCloseTo(0.158655254, org.assertj.core.api.Assertions.within(1e-6));
    }
}
