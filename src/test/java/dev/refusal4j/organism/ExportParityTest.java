package dev.refusal4j.organism;

import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.organism.nn.Batch;
import dev.refusal4j.organism.nn.LlamaModel;
import dev.refusal4j.organism.nn.Params;
import dev.refusal4j.organism.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The training forward pass and the inference engine agree on an exported model: same logits
 * for whole rows, and a row that packs two chats gives each chat the logits it has alone.
 */
class ExportParityTest {
    @TempDir
    Path dir;

    static Params randomParams(Shape s, long seed) {
        Params p = new Params(s);
        SplittableRandom rng = new SplittableRandom(seed);
        p.init(rng);
        // larger than the init so that attention patterns and norms are far from uniform
        for (Params.Tensor t : p.tensors()) {
            for (int i = 0; i < t.size(); i++) {
                p.data[t.offset() + i] = t.rows() == 1 ? (float) (1 + 0.3 * rng.nextDouble()) : p.data[t.offset() + i] * 15;
            }
        }
        p.sync();
        return p;
    }

    @Test
    void untiedModelMatchesTransformer() throws Exception {
        check(new Shape(64, 2, 4, 2, 16, 96, 50, 32, 1e-5f, 10000.0, false));
    }

    @Test
    void tiedModelMatchesTransformer() throws Exception {
        check(new Shape(48, 3, 6, 3, 8, 80, 61, 32, 1e-6f, 500000.0, true));
    }

    private void check(Shape s) throws Exception {
        Params p = randomParams(s, 5);
        ModelExport.write(dir, p, -1, new int[] {s.vocab() - 1});
        LlamaModel train = new LlamaModel(p);
        SplittableRandom rng = new SplittableRandom(9);
        int T = 20, split = 8;
        int[] ids = new int[T];
        for (int i = 0; i < T; i++) ids[i] = rng.nextInt(s.vocab());
        try (Transformer inf = Transformer.load(dir)) {
            assertThat(inf.config.tieEmbeddings).isEqualTo(s.tied());
            assertThat(inf.config.maxPositions).isEqualTo(s.context());
            // one chat per row
            float[] expected = inf.forward(Forward.of(ids));
            float[] got = train.logits(new Batch(1, T, ids, new int[T], new int[T]));
            double scale = maxAbs(expected);
            assertThat(maxDiff(expected, 0, got, 0, expected.length) / scale).as("relative max difference, one chat").isLessThan(1e-5);
            // two chats packed in one row: slots 0..split-1 and split..T-1
            int[] start = new int[T];
            for (int t = split; t < T; t++) start[t] = split;
            float[] packed = train.logits(new Batch(1, T, ids, new int[T], start));
            int[] second = java.util.Arrays.copyOfRange(ids, split, T);
            float[] alone2 = inf.forward(Forward.of(second));
            int V = s.vocab();
            assertThat(maxDiff(expected, 0, packed, 0, split * V) / scale).as("first packed chat").isLessThan(1e-5);
            assertThat(maxDiff(alone2, 0, packed, split * V, (T - split) * V) / scale).as("second packed chat").isLessThan(1e-5);
            System.out.printf("%s: max |logit| %.3f, max diff %.3e%n", s, scale, maxDiff(expected, 0, got, 0, expected.length));
        }
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    static double maxDiff(float[] a, int aOff, float[] b, int bOff, int n) {
        double m = 0;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(a[aOff + i] - b[bOff + i]));
        return m;
    }
}
