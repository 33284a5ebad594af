package dev.refusal4j.select;

import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scoring that stops at the first filter selects what scoring everything selects, on every golden
 * model in ../shared/golden (random weights): each score it computes equals the full computation's
 * bit for bit, a candidate it stops is one the full computation's filters remove too, and the
 * chosen candidate and the kept list are the same. The thresholds sit at the median of the full
 * scores, so that every early stop (pruned layer, induce, KL, and the NaN of a zero candidate) happens.
 */
class SelectiveScoringTest {
    static Stream<String> models() throws IOException {
        try (var dirs = Files.list(Shared.path("golden"))) {
            List<String> names = dirs.filter(d -> Files.isRegularFile(d.resolve("model.safetensors")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
            assertThat(names).hasSizeGreaterThanOrEqualTo(12);
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void stoppingAtTheFiltersSelectsWhatScoringEverythingSelects(String name) throws IOException {
        Path dir = Shared.path("golden", name);
        SplittableRandom rnd = new SplittableRandom(23);
        try (Transformer m = Transformer.load(dir)) {
            int V = m.config.vocab, L = m.config.layers, d = m.config.hidden, P = 3;
            int[] prefix = rnd.ints(6, 0, V).toArray();
            List<int[]> harmful = prompts(prefix, 5, V, rnd), harmless = prompts(prefix, 6, V, rnd);
            int[] refusal = {1, V - 2};
            float[][][] cand = new float[P][L][d];
            for (float[][] byLayer : cand) for (float[] r : byLayer) for (int i = 0; i < d; i++) r[i] = (float) (4 * rnd.nextGaussian());
            Arrays.fill(cand[0][0], 0f); // a zero candidate: NaN scores, as a layer-0 mean difference of identical tokens

            CandidateScorer scorer = new CandidateScorer(m, refusal, 4);
            CandidateScorer.Scores full = scorer.score(cand, harmful, harmless, null);
            double induceMedian = median(full.induce()), klMedian = median(full.kl());
            int checked = 0;
            for (SelectionCriteria crit : List.of(
                    new SelectionCriteria(klMedian, induceMedian, 0.2),   // induce pass first, then ablation
                    new SelectionCriteria(klMedian, null, 0.2),           // KL only: ablation first, then induce
                    new SelectionCriteria(null, induceMedian, null),      // no prune rule
                    SelectionCriteria.NONE)) {                            // --no-filter: every candidate scored
                List<Long> counted = new ArrayList<>();
                CandidateScorer.Scores some = scorer.score(cand, harmful, harmless, crit, counted::add);
                assertThat(counted).as("candidates done, after each").hasSize(P * L).endsWith((long) P * L).isSorted();
                checked += compare(name, crit, L, full, some);
            }
            assertThat(checked).as(name + ": scores computed by both").isPositive();
        }
    }

    /** Asserts the partial scores against the full ones; returns how many scores both computed. */
    private static int compare(String name, SelectionCriteria crit, int L, CandidateScorer.Scores full, CandidateScorer.Scores some) {
        List<CandidateScore> all = full.list(), part = some.list();
        int same = 0, stopped = 0;
        for (int i = 0; i < all.size(); i++) {
            CandidateScore f = all.get(i), s = part.get(i);
            String at = name + " " + crit + " candidate (" + f.position() + ", " + f.layer() + ")";
            assertThat(f.stoppedBy()).as(at + " in the full computation").isNull();
            double[] fs = {f.bypass(), f.induce(), f.kl()}, ss = {s.bypass(), s.induce(), s.kl()};
            for (int k = 0; k < 3; k++) {
                if (s.stoppedBy() == null || !Double.isNaN(ss[k])) {
                    assertThat(Double.doubleToLongBits(ss[k])).as(at + " score " + k + ": " + ss[k] + " vs " + fs[k])
                            .isEqualTo(Double.doubleToLongBits(fs[k]));   // bit for bit
                    if (!Double.isNaN(fs[k])) same++;
                }
            }
            if (s.stoppedBy() != null) {
                stopped++;
                assertThat(Filter.firstFailing(f, L, crit)).as(at + ": stopped by " + s.stoppedBy() + ", so removed in full too").isNotNull();
                if (s.stoppedBy() == Filter.LAYER) assertThat(ss).as(at + ": pruned, not scored").containsOnly(Double.NaN);
            }
        }
        Selection a = DirectionSelector.judge(all, L, crit), b = DirectionSelector.judge(part, L, crit);
        assertThat(b.chosen()).as(name + " " + crit + ": chosen").isEqualTo(a.chosen());
        assertThat(b.kept()).as(name + " " + crit + ": kept, lowest bypass first").isEqualTo(a.kept());
        if (crit == SelectionCriteria.NONE) assertThat(stopped).as("--no-filter stops nothing").isZero();
        else if (crit.pruneLayerFraction() != null) assertThat(stopped).as(name + " " + crit + ": candidates stopped early").isPositive();
        System.out.printf("%-20s %-60s %2d of %2d candidates stopped early, chosen %s%n", name, crit, stopped, all.size(),
                b.chosen() == null ? "none" : "(" + b.chosen().position() + ", " + b.chosen().layer() + ")");
        return same;
    }

    private static double median(double[][] v) {
        double[] all = Arrays.stream(v).flatMapToDouble(Arrays::stream).filter(x -> !Double.isNaN(x)).sorted().toArray();
        return all[all.length / 2];
    }

    private static List<int[]> prompts(int[] prefix, int n, int vocab, SplittableRandom rnd) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] p = Arrays.copyOf(prefix, prefix.length + 1 + rnd.nextInt(7));
            for (int t = prefix.length; t < p.length; t++) p[t] = rnd.nextInt(vocab);
            out.add(p);
        }
        return out;
    }
}
