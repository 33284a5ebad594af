package dev.refusal4j.select;

import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.UnitVector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scorer's shortcuts (a shared prefix run once, right-padded suffix batches, induce passes that
 * start at the candidate's layer) against the definition: one plain forward pass per prompt with
 * the intervention's hooks.
 */
class CandidateScorerTest {
    @TempDir
    Path tmp;

    @Test
    void shortcutsGiveTheScoresOfOnePlainForwardPerPrompt() throws Exception {
        SplittableRandom rnd = new SplittableRandom(17);
        List<int[]> harmful = prompts(PREFIX, 5, rnd), harmless = prompts(PREFIX, 4, rnd);
        int[] refusal = REFUSAL;
        try (Transformer m = Transformer.load(randomModel(4, 5))) {
            int P = 2, L = m.config.layers;
            float[][][] cand = candidates(P, L, m.config.hidden, rnd);

            double[][][] want = reference(m, cand, harmful, harmless, refusal);
            for (boolean share : new boolean[] {true, false}) {
                List<Long> counted = new ArrayList<>();
                CandidateScorer.Scores got = new CandidateScorer(m, refusal, 3, share).score(cand, harmful, harmless, done -> counted.add(done));
                assertThat(counted).as("candidates scored so far, after each").hasSize(P * L).startsWith(1L).endsWith((long) P * L).isSorted();
                double worst = 0;
                for (int p = 0; p < P; p++) {
                    for (int l = 0; l < L; l++) {
                        worst = Math.max(worst, Math.abs(got.bypass()[p][l] - want[0][p][l]));
                        worst = Math.max(worst, Math.abs(got.induce()[p][l] - want[1][p][l]));
                        worst = Math.max(worst, Math.abs(got.kl()[p][l] - want[2][p][l]));
                    }
                }
                System.out.printf("scorer (shared prefix %s) vs one plain forward per prompt: max |diff| %.2e%n", share, worst);
                assertThat(worst).isLessThan(1e-4);
            }
            // the candidates really move the scores, so agreement is not agreement on constants
            assertThat(Math.abs(want[1][0][0] - want[1][0][L - 1]) + Math.abs(want[0][0][0] - want[0][1][0])).isGreaterThan(1e-3);
        }
    }

    /** Candidates scored apart (as workers score them) get the scores one process gives them, to the bit. */
    @Test
    void candidatesScoredApartGetTheSameScores() throws Exception {
        SplittableRandom rnd = new SplittableRandom(23);
        List<int[]> harmful = prompts(PREFIX, 4, rnd), harmless = prompts(PREFIX, 3, rnd);
        int[] refusal = REFUSAL;
        try (Transformer m = Transformer.load(randomModel(3, 6))) {
            int P = 2, L = m.config.layers;
            float[][][] cand = candidates(P, L, m.config.hidden, rnd);
            CandidateScorer scorer = new CandidateScorer(m, refusal, 2);
            CandidateScorer.Scores all = scorer.score(cand, harmful, harmless, null, null);
            CandidateScorer.Scores even = scorer.score(cand, harmful, harmless, null, i -> i % 2 == 0, null);
            CandidateScorer.Scores odd = scorer.score(cand, harmful, harmless, null, i -> i % 2 == 1, null);
            for (int p = 0; p < P; p++) {
                for (int l = 0; l < L; l++) {
                    CandidateScorer.Scores mine = (p * L + l) % 2 == 0 ? even : odd, other = mine == even ? odd : even;
                    assertThat(mine.bypass()[p][l]).isEqualTo(all.bypass()[p][l]);
                    assertThat(mine.induce()[p][l]).isEqualTo(all.induce()[p][l]);
                    assertThat(mine.kl()[p][l]).isEqualTo(all.kl()[p][l]);
                    assertThat(other.induce()[p][l]).isNaN();
                }
            }
        }
    }

    /**
     * Layer sweeps (residual streams in the heap, and in a file, groups of one candidate and of all)
     * give the whole-call scores to the bit, under every kind of filter.
     */
    @Test
    void layerSweepsGiveTheSameScores() throws Exception {
        SplittableRandom rnd = new SplittableRandom(29);
        List<int[]> harmful = prompts(PREFIX, 5, rnd), harmless = prompts(PREFIX, 4, rnd);
        int[] refusal = REFUSAL;
        try (Transformer m = Transformer.load(randomModel(4, 7))) {
            int P = 2, L = m.config.layers;
            float[][][] cand = candidates(P, L, m.config.hidden, rnd);
            boolean scoredSomewhere = false;
            for (SelectionCriteria crit : new SelectionCriteria[] {null, new SelectionCriteria(0.5, 0.0, 0.25), new SelectionCriteria(1.0, null, null)}) {
                for (boolean share : crit == null ? new boolean[] {true, false} : new boolean[] {true}) {
                    CandidateScorer.Scores want = new CandidateScorer(m, refusal, 3, share).score(cand, harmful, harmless, crit, null);
                    for (long budget : new long[] {Long.MAX_VALUE, 0}) {   // all candidates in one sweep; one per sweep, spilled to a file
                        Path spill = Files.createDirectories(tmp.resolve("spill"));
                        CandidateScorer.Scores got = new CandidateScorer(m, refusal, 3, share)
                                .sweeping(new dev.refusal4j.model.LayerSweep.Budget(budget, spill)).score(cand, harmful, harmless, crit, null);
                        String as = "criteria " + crit + ", shared prefix " + share + ", budget " + budget;
                        assertThat(java.util.Arrays.deepToString(got.bypass())).as(as).isEqualTo(java.util.Arrays.deepToString(want.bypass())); // NaN where not scored
                        assertThat(java.util.Arrays.deepToString(got.induce())).as(as).isEqualTo(java.util.Arrays.deepToString(want.induce())); // NaN where not scored
                        assertThat(java.util.Arrays.deepToString(got.kl())).as(as).isEqualTo(java.util.Arrays.deepToString(want.kl())); // NaN where not scored
                        assertThat(got.stoppedBy()).as(as).isDeepEqualTo(want.stoppedBy());
                        scoredSomewhere |= crit != null && java.util.Arrays.stream(want.stoppedBy()).flatMap(java.util.Arrays::stream).anyMatch(f -> f == Filter.INDUCE || f == Filter.KL);
                    }
                }
            }
            assertThat(scoredSomewhere).as("a filter stopped some candidate early, so the phases were tried").isTrue();
        }
    }

    @Test
    void commonPrefixLeavesEveryPromptATokenOfItsOwn() {
        assertThat(Batches.commonPrefix(List.of(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 5, 6}))).isEqualTo(3);
        assertThat(Batches.commonPrefix(List.of(new int[] {1, 2, 3}, new int[] {1, 2, 3, 4}))).isEqualTo(2);
        assertThat(Batches.commonPrefix(List.of(new int[] {9, 2}, new int[] {1, 2}))).isZero();
    }

    private static final int[] PREFIX = {3, 14, 15, 92, 65, 35, 89}, REFUSAL = {7, 42};

    /** A random-weight Llama of {@code layers} layers, 64 wide, with a 300-token vocabulary. */
    private Path randomModel(int layers, long seed) throws java.io.IOException {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": %d, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 300,
                 "rms_norm_eps": 1e-5, "tie_word_embeddings": false, "torch_dtype": "float32"}""".formatted(layers));
        Path dir = tmp.resolve("model");
        RandomModel.write(cfg, dir, DType.F32, seed);
        return dir;
    }

    /** Gaussian candidate directions, [position][layer][d]. */
    private static float[][][] candidates(int positions, int layers, int d, SplittableRandom rnd) {
        float[][][] cand = new float[positions][layers][d];
        for (float[][] byLayer : cand) for (float[] r : byLayer) for (int i = 0; i < d; i++) r[i] = (float) rnd.nextGaussian();
        return cand;
    }

    private static List<int[]> prompts(int[] prefix, int n, SplittableRandom rnd) {
        List<int[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int[] p = new int[prefix.length + 1 + rnd.nextInt(6)];
            System.arraycopy(prefix, 0, p, 0, prefix.length);
            for (int t = prefix.length; t < p.length; t++) p[t] = rnd.nextInt(300);
            out.add(p);
        }
        return out;
    }

    /** [bypass, induce, kl][pos][layer] from single-prompt forward passes. */
    private static double[][][] reference(Transformer m, float[][][] cand, List<int[]> harmful, List<int[]> harmless, int[] refusal) {
        int P = cand.length, L = cand[0].length;
        double[][][] out = new double[3][P][L];
        List<float[]> base = new ArrayList<>();
        for (int[] p : harmless) base.add(last(m, p, null));
        for (int p = 0; p < P; p++) {
            for (int l = 0; l < L; l++) {
                float[] r = cand[p][l], u = UnitVector.of(r, "candidate");
                int layer = l;
                Supplier<Hooks> ablate = () -> Interventions.ablate(new Hooks(), u);
                Supplier<Hooks> add = () -> Interventions.add(new Hooks(), r, 1f, layer);
                for (int[] q : harmful) out[0][p][l] += RefusalScore.fromLogits(last(m, q, ablate.get()), refusal) / harmful.size();
                for (int i = 0; i < harmless.size(); i++) {
                    out[1][p][l] += RefusalScore.fromLogits(last(m, harmless.get(i), add.get()), refusal) / harmless.size();
                    out[2][p][l] += KlDivergence.official(base.get(i), last(m, harmless.get(i), ablate.get())) / harmless.size();
                }
            }
        }
        return out;
    }

    private static float[] last(Transformer m, int[] prompt, Hooks hooks) {
        return m.forward(Forward.of(prompt).hooks(hooks).logits(Transformer.Logits.LAST));
    }
}
