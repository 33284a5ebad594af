package dev.refusal4j.model;

/**
 * Floating-point operations of the forward pass, counted as benchmarks count them: 2 per
 * multiply-add of every weight a token's row is multiplied by (the q, k, v, o projections and the
 * three MLP matrices of each layer it passes; the output head where logits are computed), plus
 * attention's q·k and p·v over the keys each query sees. Embedding lookups, norms, RoPE, softmax and
 * the MLP's activation are left out: a few per cent of the work on the smallest models.
 */
public final class Flops {
    private Flops() {}

    /** Per row per layer: the projections every row needs (keys and values, which later rows read). */
    static double keyValue(ModelConfig c) {
        return 2.0 * c.hidden * 2.0 * c.kvDim();
    }

    /** Per row per layer: the projections a row needs only for its own output (query, o, MLP). */
    static double query(ModelConfig c) {
        return 2.0 * ((double) c.hidden * c.qDim() + (double) c.qDim() * c.hidden + 3.0 * c.hidden * c.intermediate);
    }

    /** Per query per visible key per layer: q·k and p·v over every head. */
    static double attentionPerKey(ModelConfig c) {
        return 4.0 * c.qDim();
    }

    /** Per row whose logits are computed: the output head. */
    static double logits(ModelConfig c) {
        return 2.0 * c.hidden * c.vocab;
    }

    /**
     * Per prompt token of a full layer stack with attention over {@code ctx} keys (ctx / 2 on
     * average, as a causal prompt of ctx tokens sees), logits excluded: the "effective" rate of a
     * prefill. A forward call that computes the last slot's logits only skips most of the final
     * layer's rows past its keys and values, so it does about 1/layers less than this.
     */
    public static double perToken(ModelConfig c, int ctx) {
        return c.layers * (keyValue(c) + query(c) + attentionPerKey(c) * ctx / 2.0);
    }

    /**
     * What one forward call computes: layers {@code from} to {@code to} (exclusive), every real row (padding rows are
     * skipped), the final layer's queries only on {@code lastOnly}'s rows when that is given, the
     * keys each query sees under the causal mask, the left padding and each layer's window.
     */
    static double ofCall(ModelConfig c, int from, int to, int B, int T, int start0, int[] pad, PaddingRows padding, PaddingRows lastOnly,
                         Transformer.Logits which) {
        int N = B * T;
        int live = padding == null ? N : padding.live().length;
        double total = 0;
        for (int l = from; l < to; l++) {
            PaddingRows queries = l == c.layers - 1 && lastOnly != null ? lastOnly : padding;
            int window = c.window[l];
            long keys = 0;
            int queryRows = 0;
            for (int r = 0; r < N; r++) {
                if (queries != null && queries.isPadding(r)) continue;
                int b = r / T, slot = start0 + r % T;
                int lo = Math.max(pad[b], window > 0 ? slot - window + 1 : 0);
                queryRows++;
                if (lo <= slot) keys += slot - lo + 1;
            }
            total += live * keyValue(c) + queryRows * query(c) + keys * attentionPerKey(c);
        }
        int logitRows = switch (which) {
            case ALL -> N;
            case LAST, LAST_ONLY -> B;
            case NONE -> 0;
        };
        return total + logitRows * logits(c);
    }

    /** "3.87 s, 12.4 GFLOP, 3.2 GFLOP/s": a stage's time, its work and the rate they make. */
    public static String describe(double seconds, double flops) {
        String rate = seconds > 0 ? String.format(java.util.Locale.ROOT, ", %.1f GFLOP/s", flops / seconds / 1e9) : "";
        return String.format(java.util.Locale.ROOT, "%.2f s, %.1f GFLOP%s", seconds, flops / 1e9, rate);
    }
}
