package dev.refusal4j.grad;

import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.LayerWeights;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.model.TensorNames;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.LogSoftmax;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine's token gradients against finite differences of an independent float64 forward, on
 * every golden model and on a random model with the variants no golden model has (partial rotary,
 * o and MLP biases, per-layer windows from layer_types). The float64 forward is plain loops
 * written from golden/README.md's semantics and is itself checked against the golden logits.
 *
 * <p>Central differences in float64 with h = 1e-4·‖x₀[p]‖ are exact to ~1e-9 of the gradient's
 * norm (truncation (h/‖x‖)²/6, rounding 1e-16/h), so the error measured is the analytic float32
 * gradient's own. That is bounded by the float32 forward's distance from float64 (≤ 1e-5 relative
 * on these models, GoldenParityTest) carried through the backward, and measured at 6e-8 to 7e-7 of ‖∂loss/∂x₀[p]‖ (the printed table):
 * {@link #TOL} = 1e-5 leaves a margin of ten, where any wrong term of the backward (a missed
 * norm weight, cap, window or bias) shows at 1e-2 or more.
 */
class TokenGradientsTest {
    static final double TOL = 1e-5;

    static Stream<String> goldenModels() throws IOException {
        try (var dirs = Files.list(Shared.path("golden"))) {
            List<String> names = dirs.filter(d -> Files.isRegularFile(d.resolve("config.json"))).map(d -> d.getFileName().toString()).sorted().toList();
            assertThat(names).hasSizeGreaterThanOrEqualTo(12);
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenModels")
    void goldenModel(String name) throws IOException {
        Path dir = Shared.path("golden", name);
        Map<String, Npz.Array> ref = Npz.read(dir.resolve("expected.npz"));
        int last = 0;
        while (ref.containsKey("s" + (last + 1) + "_ids")) last++;
        float[] idsF = ref.get("s" + last + "_ids").data(); // the longest sequence: 19 tokens, mistral's 40
        int[] ids = new int[idsF.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) idsF[i];
        try (Transformer m = Transformer.load(dir)) {
            Reference f64 = new Reference(m);
            // the reference is the golden model: its logits against the golden float64 ones
            double[] logits = f64.logits(f64.embed(ids), ids.length);
            float[] expected = ref.get("s" + last + "_logits").data();
            double diff = 0, max = 0;
            for (int i = 0; i < expected.length; i++) {
                diff = Math.max(diff, Math.abs(logits[i] - expected[i]));
                max = Math.max(max, Math.abs(expected[i]));
            }
            assertThat(diff / max).as(name + ": float64 reference against the golden logits").isLessThan(1e-5);
            check(name, m, f64, ids);
        }
    }

    @Test
    void variantsNoGoldenModelHas(@TempDir Path tmp) throws IOException {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 96,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 200,
                 "hidden_act": "silu", "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
                 "attention_bias": true, "mlp_bias": true, "sliding_window": 3, "layer_types": ["sliding_attention", "full_attention"],
                 "attn_logit_softcapping": 1.0, "final_logit_softcapping": 2.0, "max_position_embeddings": 64,
                 "tie_word_embeddings": false, "torch_dtype": "float32"}
                """);
        writeRandomWeights(cfg, tmp, 7);
        try (Transformer m = Transformer.load(tmp)) {
            assertThat(m.config.rope.dims()).isEqualTo(8);
            assertThat(m.config.window).containsExactly(3, 0);
            assertThat(m.weights.layers[0].bo).isNotNull();
            assertThat(m.weights.layers[0].bDown).isNotNull();
            int[] ids = new SplittableRandom(3).ints(17, 0, m.config.vocab).toArray();
            check("variants", m, new Reference(m), ids);
        }
    }

    /**
     * Random weights for config.json in {@code dir}, as the golden models have them: normal with std
     * 0.1, norms 1 + N(0, 0.1), embeddings std 0.25. RandomModel's tensor list plus the MLP biases
     * it leaves out.
     */
    static void writeRandomWeights(Path cfgFile, Path dir, long seed) throws IOException {
        ModelConfig c = ModelConfig.parse(cfgFile);
        Map<String, long[]> shapes = new java.util.LinkedHashMap<>(RandomModel.shapes(c));
        TensorNames n = new TensorNames(c);
        for (int l = 0; l < c.layers && c.mlpBias; l++) {
            shapes.put(n.bias(n.gate(l)), new long[] {c.intermediate});
            shapes.put(n.bias(n.up(l)), new long[] {c.intermediate});
            shapes.put(n.bias(n.down(l)), new long[] {c.hidden});
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<SafetensorsWriter.Source> src = new java.util.ArrayList<>();
        for (var e : shapes.entrySet()) {
            long size = 1;
            for (long x : e.getValue()) size *= x;
            float[] data = new float[(int) size];
            boolean norm = e.getKey().contains("norm"), emb = e.getKey().equals(n.embed());
            for (int i = 0; i < data.length; i++) data[i] = (float) ((norm ? 1 : 0) + rnd.nextGaussian() * (emb ? 0.25 : 0.1));
            src.add(SafetensorsWriter.f32(e.getKey(), data, e.getValue()));
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), src, Map.of("format", "pt"));
    }

    /**
     * Mistral's window of 16 on both layers: row 38 reads rows 23..38 in layer 1, and those read
     * rows 8.. in layer 0, so token 8 reaches the loss at row 38 and token 7 does not, exactly.
     */
    @Test
    void slidingWindowBoundsTheGradient() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "mistral"))) {
            assertThat(m.config.window).containsOnly(16);
            int[] ids = new SplittableRandom(5).ints(40, 0, m.config.vocab).toArray();
            TokenGradients.Result r = new TokenGradients(m).compute(ids, new TargetLoss(new int[] {38}, new int[] {ids[39]}), new int[] {7, 8});
            assertThat(r.embeddingGrad()[0]).containsOnly(0f);
            assertThat(norm(r.embeddingGrad()[1])).isGreaterThan(0);
        }
    }

    @Test
    void badInput() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama"))) {
            TokenGradients g = new TokenGradients(m);
            int[] ids = {1, 2, 3, 4};
            assertThatThrownBy(() -> g.compute(ids, new TargetLoss(new int[] {4}, new int[] {1}), new int[] {0}))
                    .hasMessageContaining("position 4 of a sequence of 4");
            assertThatThrownBy(() -> g.compute(ids, TargetLoss.completion(ids, 2), new int[] {5})).hasMessageContaining("outside the sequence");
            assertThatThrownBy(() -> g.compute(ids, new TargetLoss(new int[] {1}, new int[] {256}), new int[] {0})).hasMessageContaining("vocab_size 256");
            assertThatThrownBy(() -> TargetLoss.completion(ids, 4)).hasMessageContaining("at least one token");
        }
    }

    /**
     * Loss of the second half of {@code ids} given the first; gradients at four positions, one of
     * them after the last scored row (zero by causality).
     */
    static void check(String name, Transformer m, Reference f64, int[] ids) {
        int T = ids.length, d = m.config.hidden, V = m.config.vocab;
        TargetLoss loss = TargetLoss.completion(ids, T / 2);
        int[] positions = {0, T / 4, T / 2 - 1, T - 1};
        TokenGradients.Result r = new TokenGradients(m).compute(ids, loss, positions);

        // the same loss as the engine's own forward, and as float64
        float[] logits = m.forward(Forward.of(ids).logits(Transformer.Logits.ALL));
        double engine = 0;
        for (int i = 0; i < loss.positions().length; i++) engine -= LogSoftmax.logProb(logits, loss.positions()[i] * V, V, loss.targets()[i]);
        engine /= loss.positions().length;
        double[] x0 = f64.embed(ids);
        assertThat(r.loss()).as(name + " loss against the engine's forward").isCloseTo(engine, org.assertj.core.data.Offset.offset(1e-6 * Math.abs(engine)));
        assertThat(r.loss()).as(name + " loss against float64").isCloseTo(f64.loss(x0, loss), org.assertj.core.data.Offset.offset(1e-5 * Math.abs(engine)));
        assertThat(r.embeddingGrad()[3]).as("no target is scored after the last position").containsOnly(0f);

        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        double worstDir = 0, worstToken = 0, worstOneHot = 0;
        for (int i = 0; i < 3; i++) {
            int p = positions[i];
            float[] g = r.embeddingGrad()[i];
            double gNorm = norm(g);
            assertThat(gNorm).as(name + " gradient at position " + p).isGreaterThan(0);
            double rowNorm = 0;
            for (int k = 0; k < d; k++) rowNorm += x0[p * d + k] * x0[p * d + k];
            double h = 1e-4 * Math.sqrt(rowNorm);
            // directional derivatives along random unit directions
            for (int trial = 0; trial < 3; trial++) {
                double[] u = new double[d];
                for (int k = 0; k < d; k++) u[k] = rnd.nextGaussian();
                double un = norm(u);
                double analytic = 0;
                for (int k = 0; k < d; k++) analytic += g[k] * (u[k] /= un);
                double fd = f64.centralDifference(x0, p, u, h, loss);
                worstDir = Math.max(worstDir, Math.abs(analytic - fd) / gNorm);
            }
            // token gradients = s · (∂loss/∂x₀[p]) · E[v], recomputed in float64
            float[] tg = r.tokenGrad()[i];
            double tgMax = 0;
            for (float v : tg) tgMax = Math.max(tgMax, Math.abs(v));
            for (int v : new int[] {0, V - 1, ids[p], rnd.nextInt(V)}) {
                double dot = 0;
                for (int k = 0; k < d; k++) dot += (double) g[k] * m.weights.embed.get(v, k);
                worstToken = Math.max(worstToken, Math.abs(tg[v] - f64.scale * dot) / tgMax);
            }
            // the one-hot relaxation itself: x₀[p] = s·((1 − α) E[id] + α E[v]); d loss/dα = tg[v] − tg[id]
            int v = (ids[p] + 1 + rnd.nextInt(V - 1)) % V;
            double[] dir = new double[d];
            for (int k = 0; k < d; k++) dir[k] = f64.scale * (m.weights.embed.get(v, k) - m.weights.embed.get(ids[p], k));
            double fd = f64.centralDifference(x0, p, dir, 1e-4, loss);
            worstOneHot = Math.max(worstOneHot, Math.abs((tg[v] - tg[ids[p]]) - fd) / tgMax);
        }
        System.out.printf("%-20s T=%2d loss %.6f  |analytic − fd| / ‖g‖: directions %.2e, one-hot %.2e; token grad vs float64 %.2e%n",
                name, T, r.loss(), worstDir, worstOneHot, worstToken);
        assertThat(worstDir).as(name + " directional derivatives").isLessThan(TOL);
        assertThat(worstOneHot).as(name + " one-hot direction").isLessThan(TOL);
        assertThat(worstToken).as(name + " token gradients").isLessThan(1e-5);
    }

    static double norm(float[] a) {
        double s = 0;
        for (float v : a) s += (double) v * v;
        return Math.sqrt(s);
    }

    static double norm(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s);
    }

    /** The model's forward in float64 with plain loops, from golden/README.md's semantics; weights widened from the engine's. */
    static final class Reference {
        final ModelConfig c;
        final int d, V, H, KV, hd, q, kv, ff;
        final double scale;
        final double[] embed, lmHead, finalNorm, invFreq;
        final Layer[] layers;

        record Layer(double[] attnNorm, double[] wq, double[] wk, double[] wv, double[] bq, double[] bk, double[] bv, double[] qNorm, double[] kNorm,
                     double[] wo, double[] bo, double[] postAttn, double[] mlpNorm, double[] wGate, double[] wUp, double[] wDown,
                     double[] bGate, double[] bUp, double[] bDown, double[] postMlp) {}

        Reference(Transformer m) {
            c = m.config;
            d = c.hidden; V = c.vocab; H = c.heads; KV = c.kvHeads; hd = c.headDim; q = c.qDim(); kv = c.kvDim(); ff = c.intermediate;
            scale = c.scaleEmbeddings ? Math.sqrt(d) : 1;
            embed = wide(m.weights.embed);
            lmHead = wide(m.weights.lmHead);
            finalNorm = wide(m.weights.finalNorm);
            layers = new Layer[c.layers];
            for (int l = 0; l < c.layers; l++) {
                LayerWeights w = m.weights.layers[l];
                layers[l] = new Layer(wide(w.attnNorm), wide(w.wq), wide(w.wk), wide(w.wv), wide(w.bq), wide(w.bk), wide(w.bv), wide(w.qNorm), wide(w.kNorm),
                        wide(w.wo), wide(w.bo), wide(w.postAttnNorm), wide(w.mlpNorm), wide(w.wGate), wide(w.wUp), wide(w.wDown),
                        wide(w.bGate), wide(w.bUp), wide(w.bDown), wide(w.postMlpNorm));
            }
            ModelConfig.Rope r = c.rope;
            invFreq = new double[r.dims() / 2];
            for (int i = 0; i < invFreq.length; i++) {
                double f = Math.pow(r.theta(), -2.0 * i / r.dims());
                if (r.type().equals("llama3")) {
                    double wavelen = 2 * Math.PI / f, C = r.originalMaxPositions();
                    if (wavelen > C / r.lowFreqFactor()) f /= r.factor();
                    else if (wavelen >= C / r.highFreqFactor()) {
                        double s = (C / wavelen - r.lowFreqFactor()) / (r.highFreqFactor() - r.lowFreqFactor());
                        f = (1 - s) * f / r.factor() + s * f;
                    }
                }
                invFreq[i] = f;
            }
        }

        static double[] wide(Matrix w) {
            if (w == null) return null;
            double[] out = new double[w.rows * w.cols];
            for (int r = 0; r < w.rows; r++) for (int k = 0; k < w.cols; k++) out[r * w.cols + k] = w.get(r, k);
            return out;
        }

        static double[] wide(float[] w) {
            if (w == null) return null;
            double[] out = new double[w.length];
            for (int i = 0; i < w.length; i++) out[i] = w[i];
            return out;
        }

        double[] embed(int[] ids) {
            double[] x = new double[ids.length * d];
            for (int t = 0; t < ids.length; t++) for (int k = 0; k < d; k++) x[t * d + k] = scale * embed[ids[t] * d + k];
            return x;
        }

        /** (loss(x₀ + h·u at position p) − loss(x₀ − h·u)) / 2h. */
        double centralDifference(double[] x0, int p, double[] u, double h, TargetLoss loss) {
            double[] plus = x0.clone(), minus = x0.clone();
            for (int k = 0; k < d; k++) {
                plus[p * d + k] += h * u[k];
                minus[p * d + k] -= h * u[k];
            }
            return (loss(plus, loss) - loss(minus, loss)) / (2 * h);
        }

        double loss(double[] x0, TargetLoss loss) {
            int T = 0;
            for (int p : loss.positions()) T = Math.max(T, p + 1);
            double[] logits = logits(x0, T);
            double sum = 0;
            for (int i = 0; i < loss.positions().length; i++) {
                int off = loss.positions()[i] * V;
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[off + v]);
                for (int v = 0; v < V; v++) z += Math.exp(logits[off + v] - max);
                sum -= logits[off + loss.targets()[i]] - max - Math.log(z);
            }
            return sum / loss.positions().length;
        }

        /** Logits [T × V] of the first T rows of x₀. */
        double[] logits(double[] x0, int T) {
            double[] x = java.util.Arrays.copyOf(x0, T * d);
            for (int l = 0; l < c.layers; l++) {
                Layer w = layers[l];
                double[] xn = norm(x, T, d, w.attnNorm, c.normPlusOne);
                double[] qs = linear(xn, T, d, w.wq, w.bq, q), ks = linear(xn, T, d, w.wk, w.bk, kv), vs = linear(xn, T, d, w.wv, w.bv, kv);
                if (w.qNorm != null) {
                    qs = norm(qs, T * H, hd, w.qNorm, false);
                    ks = norm(ks, T * KV, hd, w.kNorm, false);
                }
                rotate(qs, T, H);
                rotate(ks, T, KV);
                double[] z = new double[T * q];
                int window = c.window[l];
                for (int h = 0; h < H; h++) {
                    int g = h / (H / KV);
                    for (int t = 0; t < T; t++) {
                        int lo = window > 0 ? Math.max(0, t - window + 1) : 0;
                        double[] s = new double[t + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = lo; j <= t; j++) {
                            double dot = 0;
                            for (int k = 0; k < hd; k++) dot += qs[t * q + h * hd + k] * ks[j * kv + g * hd + k];
                            s[j] = dot * c.attnScale;
                            if (c.attnSoftcap > 0) s[j] = c.attnSoftcap * Math.tanh(s[j] / c.attnSoftcap);
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = lo; j <= t; j++) sum += s[j] = Math.exp(s[j] - max);
                        for (int j = lo; j <= t; j++) for (int k = 0; k < hd; k++) z[t * q + h * hd + k] += s[j] / sum * vs[j * kv + g * hd + k];
                    }
                }
                double[] o = linear(z, T, q, w.wo, w.bo, d);
                if (w.postAttn != null) o = norm(o, T, d, w.postAttn, c.normPlusOne);
                for (int i = 0; i < T * d; i++) x[i] += o[i];
                xn = norm(x, T, d, w.mlpNorm, c.normPlusOne);
                double[] gate = linear(xn, T, d, w.wGate, w.bGate, ff), up = linear(xn, T, d, w.wUp, w.bUp, ff);
                for (int i = 0; i < T * ff; i++) {
                    double gv = gate[i];
                    double act = c.activation == ModelConfig.Activation.SILU ? gv / (1 + Math.exp(-gv))
                            : 0.5 * gv * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (gv + 0.044715 * gv * gv * gv)));
                    gate[i] = act * up[i];
                }
                double[] mlp = linear(gate, T, ff, w.wDown, w.bDown, d);
                if (w.postMlp != null) mlp = norm(mlp, T, d, w.postMlp, c.normPlusOne);
                for (int i = 0; i < T * d; i++) x[i] += mlp[i];
            }
            double[] logits = linear(norm(x, T, d, finalNorm, c.normPlusOne), T, d, lmHead, null, V);
            if (c.finalSoftcap > 0) for (int i = 0; i < logits.length; i++) logits[i] = c.finalSoftcap * Math.tanh(logits[i] / c.finalSoftcap);
            return logits;
        }

        /** HF rotate_half on the first rope.dims of each head: j is paired with j + dims/2. */
        void rotate(double[] x, int T, int heads) {
            int half = invFreq.length;
            for (int t = 0; t < T; t++) {
                for (int h = 0; h < heads; h++) {
                    int o = (t * heads + h) * hd;
                    for (int i = 0; i < half; i++) {
                        double a = t * invFreq[i], cos = Math.cos(a), sin = Math.sin(a);
                        double x0 = x[o + i], x1 = x[o + i + half];
                        x[o + i] = x0 * cos - x1 * sin;
                        x[o + i + half] = x1 * cos + x0 * sin;
                    }
                }
            }
        }

        double[] norm(double[] x, int rows, int n, double[] w, boolean plusOne) {
            double[] y = new double[rows * n];
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int i = 0; i < n; i++) ss += x[r * n + i] * x[r * n + i];
                double inv = 1 / Math.sqrt(ss / n + c.eps);
                for (int i = 0; i < n; i++) y[r * n + i] = x[r * n + i] * inv * (plusOne ? 1 + w[i] : w[i]);
            }
            return y;
        }

        static double[] linear(double[] x, int rows, int in, double[] w, double[] b, int out) {
            double[] y = new double[rows * out];
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    double s = b == null ? 0 : b[o];
                    for (int k = 0; k < in; k++) s += x[r * in + k] * w[o * in + k];
                    y[r * out + o] = s;
                }
            }
            return y;
        }
    }
}
