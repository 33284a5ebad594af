package dev.refusal4j.model;

import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Invariants of batching and incremental decoding, checked on real golden models: a left-padded
 * batch gives each sequence the logits it gets alone; decoding token by token with the KV cache
 * gives the logits of the full forward pass.
 */
class BatchingAndCacheTest {
    static final int[] A = {5, 17, 3, 99, 42, 7, 0, 250, 12, 12, 64, 1, 33};
    static final int[] B = {8, 200, 31, 4, 77};

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2", "gemma2", "mistral", "phi3", "qwen1", "qwen3-hd32"})
    void leftPaddedBatchEqualsSingleSequences(String name) throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", name))) {
            int V = m.config.vocab;
            float[] aloneA = m.forward(Forward.of(A));
            float[] aloneB = m.forward(Forward.of(B));
            int T = A.length, padB = T - B.length;
            int[] rowB = new int[T];
            Arrays.fill(rowB, 0, padB, 3); // any id in the padding
            System.arraycopy(B, 0, rowB, padB, B.length);
            float[] batch = m.forward(Forward.of(new int[][] {A, rowB}).padding(new int[] {0, padB}));
            double ra = rel(Arrays.copyOfRange(batch, 0, T * V), aloneA);
            double rb = rel(Arrays.copyOfRange(batch, (T + padB) * V, 2 * T * V), aloneB);
            System.out.printf("%-12s padded batch vs alone: A %.2e  B %.2e%n", name, ra, rb);
            assertThat(ra).isLessThan(1e-5);
            assertThat(rb).isLessThan(1e-5);
        }
    }

    /**
     * LAST_ONLY (the final layer computes only the last slots past its keys and values) gives the
     * logits of LAST, on a left-padded batch and on a right-padded one whose last slots differ.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2", "gemma2", "phi3", "qwen1"})
    void lastOnlyEqualsLast(String name) throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", name))) {
            int T = A.length, padB = T - B.length;
            int[] left = new int[T], right = new int[T];
            Arrays.fill(left, 0, padB, 3);
            System.arraycopy(B, 0, left, padB, B.length);
            System.arraycopy(B, 0, right, 0, B.length);
            Arrays.fill(right, B.length, T, 9);
            int[][] leftBatch = {A, left}, rightBatch = {A, right};
            int[] lastSlots = {T - 1, B.length - 1};
            double rl = rel(m.forward(Forward.of(leftBatch).padding(new int[] {0, padB}).logits(Transformer.Logits.LAST_ONLY)),
                    m.forward(Forward.of(leftBatch).padding(new int[] {0, padB}).logits(Transformer.Logits.LAST)));
            double rr = rel(m.forward(Forward.of(rightBatch).logits(Transformer.Logits.LAST_ONLY).lastSlots(lastSlots)),
                    m.forward(Forward.of(rightBatch).logits(Transformer.Logits.LAST).lastSlots(lastSlots)));
            // and the right-padded sequence's logits are its own, as if alone
            float[] aloneB = m.forward(Forward.of(B).logits(Transformer.Logits.LAST));
            float[] both = m.forward(Forward.of(rightBatch).logits(Transformer.Logits.LAST_ONLY).lastSlots(lastSlots));
            double ra = rel(Arrays.copyOfRange(both, m.config.vocab, 2 * m.config.vocab), aloneB);
            System.out.printf("%-12s LAST_ONLY vs LAST: left-padded %.2e, right-padded %.2e, right-padded vs alone %.2e%n", name, rl, rr, ra);
            assertThat(rl).isLessThan(1e-5);
            assertThat(rr).isLessThan(1e-5);
            assertThat(ra).isLessThan(1e-5);
        }
    }

    /** A caller's logits buffer (a decoding loop's) receives exactly the logits a new array would, padding and soft-cap included. */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "gemma2"})
    void logitsIntoCallersBufferEqualNewArray(String name) throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", name))) {
            int V = m.config.vocab, padB = A.length - B.length;
            int[] left = new int[A.length];
            System.arraycopy(B, 0, left, padB, B.length);
            int[][] batch = {A, left};
            float[] fresh = m.forward(Forward.of(batch).padding(new int[] {0, padB}).logits(Transformer.Logits.LAST));
            float[] buffer = new float[2 * V + 5];
            Arrays.fill(buffer, Float.NaN);
            float[] got = m.forward(Forward.of(batch).padding(new int[] {0, padB}).logits(Transformer.Logits.LAST).into(buffer));
            assertThat(got).isSameAs(buffer);
            assertThat(Arrays.copyOf(got, 2 * V)).containsExactly(fresh);
            assertThat(buffer[2 * V]).isNaN(); // nothing written past batch × vocab
            assertThatThrownBy(() -> m.forward(Forward.of(batch).padding(new int[] {0, padB}).logits(Transformer.Logits.LAST).into(new float[2 * V - 1])))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs " + 2 * V);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen3", "gemma2", "mistral", "llama3-rope-scaling"})
    void incrementalDecodingEqualsFullForward(String name) throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", name))) {
            int V = m.config.vocab, T = A.length, padB = T - B.length;
            int[] rowB = new int[T];
            System.arraycopy(B, 0, rowB, padB, B.length);
            float[] full = m.forward(Forward.of(new int[][] {A, rowB}).padding(new int[] {0, padB}));
            KvCache cache = m.newCache(2, T);
            int prefix = 6;
            int[][] first = {Arrays.copyOf(A, prefix), Arrays.copyOf(rowB, prefix)};
            m.forward(Forward.of(first).padding(new int[] {0, padB}).cache(cache).logits(Transformer.Logits.NONE));
            double worst = 0;
            for (int t = prefix; t < T; t++) {
                float[] step = m.forward(Forward.of(new int[][] {{A[t]}, {rowB[t]}}).cache(cache).logits(Transformer.Logits.LAST));
                worst = Math.max(worst, rel(Arrays.copyOfRange(step, 0, V), Arrays.copyOfRange(full, t * V, (t + 1) * V)));
                worst = Math.max(worst, rel(Arrays.copyOfRange(step, V, 2 * V), Arrays.copyOfRange(full, (T + t) * V, (T + t + 1) * V)));
            }
            System.out.printf("%-20s cached decode vs full forward: %.2e%n", name, worst);
            assertThat(cache.length()).isEqualTo(T);
            // decode uses the GEMV kernel and prefill the tiled GEMM: same math, other summation order
            assertThat(worst).isLessThan(1e-5);
        }
    }

    /**
     * Rows gathered from other caches (a sequence of a left-padded batch, one alone, one with no
     * slots yet) into one batch decode as if each were alone: the continuous batching of serve.
     * gemma2 has a sliding window and soft-capping, which see slots and positions.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa", "qwen2", "gemma2"})
    void gatheredRowsDecodeAsAlone(String name) throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", name))) {
            int V = m.config.vocab, T = A.length - 1, padB = T - (B.length - 1);
            // A but its last token alone; B but its last token as row 1 of a padded batch with A
            KvCache alone = m.newCache(1, T);
            m.forward(Forward.of(Arrays.copyOf(A, T)).cache(alone).logits(Transformer.Logits.NONE));
            int[] rowB = new int[T];
            System.arraycopy(B, 0, rowB, padB, B.length - 1);
            KvCache pair = m.newCache(2, T);
            m.forward(Forward.of(new int[][] {Arrays.copyOf(A, T), rowB}).padding(new int[] {0, padB}).cache(pair).logits(Transformer.Logits.NONE));
            KvCache gathered = KvCache.gather(java.util.List.of(new KvCache.Row(pair, 1), new KvCache.Row(alone, 0), new KvCache.Row(null, 0)), T + 2);
            assertThat(gathered.length()).isEqualTo(T);
            assertThat(gathered.padding()).containsExactly(T - (B.length - 1), 0, T);
            int c = 21;
            int[][] step = {{B[B.length - 1]}, {A[T]}, {c}};
            float[] got = m.forward(Forward.of(step).cache(gathered).logits(Transformer.Logits.LAST));
            float[] wantB = m.forward(Forward.of(B).logits(Transformer.Logits.LAST));
            float[] wantA = m.forward(Forward.of(A).logits(Transformer.Logits.LAST));
            float[] wantC = m.forward(Forward.of(new int[] {c}).logits(Transformer.Logits.LAST));
            double worst = Math.max(rel(Arrays.copyOfRange(got, 0, V), wantB),
                    Math.max(rel(Arrays.copyOfRange(got, V, 2 * V), wantA), rel(Arrays.copyOfRange(got, 2 * V, 3 * V), wantC)));
            // and a second step on the same cache: the gathered timeline grows like any other
            float[] next = m.forward(Forward.of(new int[][] {{7}, {7}, {7}}).cache(gathered).logits(Transformer.Logits.LAST));
            int[] b7 = Arrays.copyOf(B, B.length + 1), a7 = Arrays.copyOf(A, A.length + 1);
            b7[B.length] = 7;
            a7[A.length] = 7;
            worst = Math.max(worst, Math.max(rel(Arrays.copyOfRange(next, 0, V), m.forward(Forward.of(b7).logits(Transformer.Logits.LAST))),
                    Math.max(rel(Arrays.copyOfRange(next, V, 2 * V), m.forward(Forward.of(a7).logits(Transformer.Logits.LAST))),
                            rel(Arrays.copyOfRange(next, 2 * V, 3 * V), m.forward(Forward.of(new int[] {c, 7}).logits(Transformer.Logits.LAST))))));
            System.out.printf("%-12s gathered rows vs alone: %.2e%n", name, worst);
            assertThat(worst).isLessThan(1e-5);
            assertThatThrownBy(() -> KvCache.gather(java.util.List.of(new KvCache.Row(alone, 0)), T - 1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacity");
        }
    }

    static double rel(float[] a, float[] ref) {
        assertThat(a).hasSameSizeAs(ref);
        double md = 0, mr = 0;
        for (int i = 0; i < a.length; i++) {
            md = Math.max(md, Math.abs(a[i] - ref[i]));
            mr = Math.max(mr, Math.abs(ref[i]));
        }
        return md / mr;
    }
}
