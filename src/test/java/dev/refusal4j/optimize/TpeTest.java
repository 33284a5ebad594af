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
    void paretoRanksAndCrowding() {
        List<double[]> pts = List.of(new double[] {0, 3}, new double[] {1, 1}, new double[] {3, 0}, new double[] {2, 2}, new double[] {3, 3});
        assertThat(Pareto.ranks(pts)).containsExactly(0, 0, 0, 1, 2);
        double[] c = Pareto.crowding(pts.subList(0, 3));
        // ends infinite; the middle: (3 − 0)/3 + (3 − 0)/3 = 2
        assertThat(c).containsExactly(Double.POSITIVE_INFINITY, 2.0, Double.POSITIVE_INFINITY);
    }

    @Test
    void normalCdf() {
        assertThat(Tpe.phi(0)).isCloseTo(0.5, org.assertj.core.api.Assertions.within(1e-7));
        assertThat(Tpe.phi(1.959964)).isCloseTo(0.975, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(Tpe.phi(-1)).isCloseTo(0.158655254, org.assertj.core.api.Assertions.within(1e-6));
    }
}
