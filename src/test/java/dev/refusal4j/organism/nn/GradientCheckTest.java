package dev.refusal4j.organism.nn;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Analytic gradients of every parameter tensor against central finite differences of the loss, on
 * a tiny model with grouped-query attention, two chats packed into one row and a loss mask and
 * unequal loss weights.
 *
 * <p>The float32 bound: the loss L is computed in float32 (logits rounded, the final sum in double),
 * so each evaluation is off by δ of about one ulp(L); a central difference D(ε) = (L+ − L−)/2ε
 * carries an absolute error of about δ/ε. Its O(ε²) truncation error is removed by Richardson
 * extrapolation fd = (4·D(ε/2) − D(ε))/3, which triples the noise to about 3δ/ε. With ε = 1e-2 we
 * allow |analytic − fd| ≤ 1e-3·|fd| + 12·ulp(L)/ε (4× that noise, about 5e-4 here), and require
 * relative error ≤ 1e-3 on the three largest gradient entries of each tensor, far above the noise.
 */
class GradientCheckTest {
    static Shape tiny(boolean tied) {
        return new Shape(16, 2, 4, 2, 4, 24, 37, 8, 1e-5f, 10000.0, tied);
    }

    /** B = 2 rows of T = 7: row 0 packs chats of 3 and 4 slots, row 1 holds one chat of 5 and 2 unused slots. */
    static Batch batch(SplittableRandom rng) {
        int B = 2, T = 7;
        int[] ids = new int[B * T], targets = new int[B * T], start = new int[B * T];
        int[] starts = {0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0, 0, 5, 5};
        for (int r = 0; r < B * T; r++) {
            ids[r] = rng.nextInt(37);
            start[r] = starts[r];
            targets[r] = r % 3 == 0 || r >= 12 ? -1 : rng.nextInt(37); // a loss mask with holes
        }
        float[] weights = new float[B * T];
        for (int r = 0; r < B * T; r++) weights[r] = targets[r] < 0 ? 0f : r % 4 == 1 ? 5f : 1f; // some slots weigh more
        return new Batch(B, T, ids, targets, start, weights);
    }

    /** Weights larger than the training init, so that every gradient is well above float noise. */
    static LlamaModel model(Shape s, long seed) {
        Params p = new Params(s);
        SplittableRandom rng = new SplittableRandom(seed);
        for (Params.Tensor t : p.tensors()) {
            for (int i = 0; i < t.size(); i++) {
                double g = Params.gaussian(rng);
                p.data[t.offset() + i] = (float) (t.rows() == 1 ? 1 + 0.2 * g : 0.4 * g);
            }
        }
        p.sync();
        return new LlamaModel(p);
    }

    private static double central(LlamaModel m, Batch b, int depth, int at, double eps) {
        float[] w = m.params.data;
        float orig = w[at];
        w[at] = (float) (orig + eps);
        m.params.sync();
        double up = m.step(b, false, depth);
        w[at] = (float) (orig - eps);
        m.params.sync();
        double down = m.step(b, false, depth);
        w[at] = orig;
        m.params.sync();
        return (up - down) / (2 * eps);
    }

    @Test
    void everyTensorMatchesFiniteDifferencesUntied() {
        check(false, 2);
    }

    @Test
    void everyTensorMatchesFiniteDifferencesTied() {
        check(true, 2);
    }

    /** An early exit after the first of two blocks: the head reads block 0's output; block 1 gets zero gradient. */
    @Test
    void earlyExitMatchesFiniteDifferences() {
        float[] g = check(true, 1);
        LlamaModel m = model(tiny(true), 7);
        for (Params.Tensor t : m.params.tensors()) {
            if (!t.name().startsWith("model.layers.1.")) continue;
            for (int i = 0; i < t.size(); i++) assertThat(g[t.offset() + i]).as(t.name()).isZero();
        }
    }

    private float[] check(boolean tied, int depth) {
        LlamaModel m = model(tiny(tied), 7);
        Batch b = batch(new SplittableRandom(11));
        double loss = m.step(b, true, depth);
        double eps = 1e-2, noise = 12 * Math.ulp((float) loss) / eps;
        float[] g = m.grads.clone();
        float[] w = m.params.data;
        SplittableRandom pick = new SplittableRandom(3);
        List<String> report = new ArrayList<>();
        double worstLargest = 0, worstExcess = 0;
        for (Params.Tensor t : m.params.tensors()) {
            // the 3 largest gradient entries of the tensor and 3 random ones
            List<Integer> idx = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                int best = -1;
                for (int i = 0; i < t.size(); i++) {
                    if (idx.contains(i)) continue;
                    if (best < 0 || Math.abs(g[t.offset() + i]) > Math.abs(g[t.offset() + best])) best = i;
                }
                idx.add(best);
            }
            for (int k = 0; k < 3; k++) idx.add(pick.nextInt(t.size()));
            for (int n = 0; n < idx.size(); n++) {
                int i = idx.get(n);
                int at = t.offset() + i;
                // Richardson: (4·D(ε/2) − D(ε)) / 3 cancels the ε² term of the central difference
                double fd = (4 * central(m, b, depth, at, eps / 2) - central(m, b, depth, at, eps)) / 3;
                double a = g[at];
                double rel = Math.abs(a - fd) / Math.max(Math.abs(fd), 1e-30);
                if (n < 3) worstLargest = Math.max(worstLargest, rel);
                // how far past the allowed bound (≤ 1 passes)
                worstExcess = Math.max(worstExcess, Math.abs(a - fd) / (1e-3 * Math.abs(fd) + noise));
                report.add(String.format("%s[%d] analytic %.6e fd %.6e rel %.2e", t.name(), i, a, fd, rel));
            }
        }
        report.forEach(System.out::println);
        System.out.printf("tied=%s loss %.6f, noise bound %.2e; worst rel. error on largest entries %.2e; worst |a-fd| / bound %.3f%n",
                tied, loss, noise, worstLargest, worstExcess);
        assertThat(worstLargest).isLessThanOrEqualTo(1e-3);
        assertThat(worstExcess).isLessThanOrEqualTo(1.0);
        return g;
    }
}
