package dev.refusal4j.model;

import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.ModelPath;
import dev.refusal4j.io.TensorSource;
import dev.refusal4j.io.gguf.GgufModel;
import dev.refusal4j.model.OpProfile.Op;
import dev.refusal4j.tensor.AttentionBlock;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.MatMul;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.Ops;
import dev.refusal4j.tensor.Parallel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The decoder-only transformer shared by every supported architecture. Per block:
 * <pre>
 *   x = x + attn(norm1(x))      // Gemma-2: x + postAttnNorm(attn(norm1(x)))
 *   x = x + mlp(norm2(x))       // Gemma-2: x + postMlpNorm(mlp(norm2(x)))
 * </pre>
 * Activations are [rows = batch × slots, width] F32 arrays. Every residual-stream value passes a
 * TransformerLens-named hook point. Not thread-safe: one forward call at a time per instance
 * (the call itself uses every core).
 */
public final class Transformer implements AutoCloseable {
    public final ModelConfig config;
    public final ModelWeights weights;
    public final Path dir;
    private final TensorSource files;
    private final Rope rope;
    private final HookTable noHooks; // shared by every call without hooks: it fires nothing
    private final float embedScale;
    private Workspace ws; // grown on demand
    private final java.util.concurrent.atomic.DoubleAdder flops = new java.util.concurrent.atomic.DoubleAdder();
    private final java.util.concurrent.atomic.LongAdder sweeps = new java.util.concurrent.atomic.LongAdder();
    private volatile OpProfile profile = OpProfile.OFF;

    /**
     * Which logits a forward call returns. {@code LAST_ONLY} returns what {@code LAST} does and
     * computes less: past the final layer's keys and values only each sequence's last slot goes on
     * (its query, attention output and MLP), as llama.cpp does for prompt processing; the final
     * layer's hooks after its key/value projections then see zeros at every other slot.
     */
    public enum Logits { ALL, LAST, LAST_ONLY, NONE }

    public Transformer(Path dir, ModelConfig config, TensorSource files) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.weights = new ModelWeights(config, files);
        this.rope = new Rope(config.rope);
        this.noHooks = new HookTable(Hooks.NONE, config.layers, 0, 0, null, 0, config);
        float s = (float) Math.sqrt(config.hidden);
        // Gemma multiplies by sqrt(hidden) as a tensor of the model dtype, so the scale is rounded.
        if (config.dtype == DType.BF16) s = DType.bf16ToFloat(DType.floatToBf16(s));
        else if (config.dtype == DType.F16) s = DType.f16ToFloat(DType.floatToF16(s));
        this.embedScale = config.scaleEmbeddings ? s : 1f;
    }

    /**
     * Loads a model: a Hugging Face directory (config.json + safetensors, single or sharded), or a
     * GGUF model ({@link ModelPath}: a .gguf file, the parts of a split one, or a folder holding one).
     */
    public static Transformer load(Path dir) throws IOException {
        ModelPath path = ModelPath.of(dir);
        if (path.isGguf()) {
            GgufModel gguf = GgufModel.open(path.ggufParts());
            try {
                return new Transformer(dir, ModelConfig.of(gguf), gguf);
            } catch (RuntimeException e) {
                gguf.close();
                throw e;
            }
        }
        ModelConfig cfg = ModelConfig.load(dir);
        ModelFiles files = ModelFiles.open(dir);
        try {
            return new Transformer(dir, cfg, files);
        } catch (RuntimeException e) {
            files.close();
            throw e;
        }
    }

    /** The weights as stored: a folder's safetensors or a GGUF model. */
    public TensorSource files() {
        return files;
    }

    /** What each embedding row is multiplied by before layer 0: Gemma's rounded sqrt(hidden), else 1. */
    public float embedScale() {
        return embedScale;
    }

    public KvCache newCache(int batch, int capacity) {
        return new KvCache(config.layers, batch, capacity, config.kvDim());
    }

    /**
     * Runs one prefill or decode step: {@code model.forward(Forward.of(ids).hooks(h).logits(LAST))}.
     * Calls with the same cache append slots to its sequences.
     *
     * @return logits [rows × vocab]: all batch × slots rows, one (the last real slot) per sequence, or none
     */
    public float[] forward(Forward request) {
        OpProfile p = profile;
        long t0 = p.start();
        try {
            return forward(request, p);
        } finally {
            p.call(p.start() - t0);
        }
    }

    /** Times every later forward call's parts into {@code p} ({@link OpProfile#OFF}: none). */
    public void profile(OpProfile p) {
        profile = java.util.Objects.requireNonNull(p);
    }

    private float[] forward(Forward request, OpProfile prof) {
        final int[][] tokens = request.tokens;
        final Logits which = request.logits;
        final int[] lastSlots = request.lastSlots;
        final Forward.Start start = request.start;
        final float[] into = request.into;
        KvCache cache = request.cache;
        final ModelConfig c = config;
        final int B = tokens.length, T = tokens[0].length, d = c.hidden, N = B * T;
        for (int[] row : tokens) if (row.length != T) throw new IllegalArgumentException("token rows differ in length");
        if (cache == null) cache = newCache(B, T);
        if (cache.batch != B) throw new IllegalArgumentException("cache is for batch " + cache.batch + ", got " + B);
        if (cache.length == 0) cache.padding = request.padding == null ? new int[B] : request.padding.clone();
        final int start0 = cache.length; // this call's first slot
        if (start0 + T > cache.capacity) throw new IllegalArgumentException("sequence of " + (start0 + T) + " slots exceeds the cache capacity " + cache.capacity);
        if (start0 + T > c.maxPositions) throw new IllegalArgumentException("sequence of " + (start0 + T) + " tokens exceeds the model's context of " + c.maxPositions);
        final int[] pad = cache.padding;
        HookTable ht = request.hooks.isEmpty() ? noHooks : new HookTable(request.hooks, c.layers, B, T, pad, start0, c);
        Workspace w = workspace(N);
        w.padding = PaddingRows.of(B, T, start0, pad, lastSlots);
        PaddingRows lastRowsOnly = which == Logits.LAST_ONLY ? PaddingRows.only(B, T, lastSlots) : null;
        float[] x = w.x; // the residual stream; handed to the caller's hooks only as views closed after each hook

        final int from = start == null ? 0 : start.layer();
        final Forward.Until until = request.until;
        final int to = until == null ? c.layers : until.layer();
        if (until != null && (to <= from || to >= c.layers)) throw new IllegalArgumentException("stop layer " + to + " is outside (" + from + ", " + c.layers + ")");
        if (until != null && until.residOut().length < N * d) throw new IllegalArgumentException("stop resid_pre buffer holds " + until.residOut().length + " floats, needs " + N * d);
        if (lastSlots != null && lastSlots.length != B) throw new IllegalArgumentException("lastSlots has " + lastSlots.length + " entries for a batch of " + B);
        if (start == null) {
            // embedding
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) {
                    int id = tokens[b][t];
                    c.requireTokenId(id);
                    weights.embed.row(id, x, (b * T + t) * d);
                }
            }
            if (embedScale != 1f) for (int i = 0; i < N * d; i++) x[i] *= embedScale;
            ht.fire(ht.embed, Hooks.EMBED, -1, x, 0);
        } else {
            if (from < 0 || from >= c.layers) throw new IllegalArgumentException("start layer " + from + " is outside [0, " + c.layers + ")");
            if (start.residPre().length < N * d) throw new IllegalArgumentException("start resid_pre holds " + start.residPre().length + " floats, needs " + N * d);
            System.arraycopy(start.residPre(), 0, x, 0, N * d);
        }
        rope.reserve(start0 + T);
        flops.add(Flops.ofCall(c, from, to, B, T, start0, pad, w.padding, lastRowsOnly, until == null ? which : Logits.NONE));

        for (int l = from; l < to; l++) {
            LayerWeights lw = weights.layers[l];
            w.queries = l == c.layers - 1 && lastRowsOnly != null ? lastRowsOnly : w.padding;
            ht.fire(ht.residPre[l], Hooks.RESID_PRE, l, x, 0);
            // x = x + attn(norm1(x))
            long t = prof.start();
            Ops.rmsNorm(x, 0, w.xn, 0, N, d, lw.attnNorm, c.eps, c.normPlusOne);
            prof.stop(Op.NORMS, t);
            attention(l, lw, w, cache, B, T, start0, ht, prof);
            t = prof.start();
            if (lw.postAttnNorm != null) Ops.rmsNorm(w.out, 0, w.out, 0, N, d, lw.postAttnNorm, c.eps, c.normPlusOne);
            prof.stop(Op.NORMS, t);
            ht.fire(ht.attnOut[l], Hooks.ATTN_OUT, l, w.out, 0);
            Ops.add(w.out, x, N * d);
            ht.fire(ht.residMid[l], Hooks.RESID_MID, l, x, 0);
            // x = x + mlp(norm2(x))
            t = prof.start();
            Ops.rmsNorm(x, 0, w.xn, 0, N, d, lw.mlpNorm, c.eps, c.normPlusOne);
            prof.stop(Op.NORMS, t);
            mlp(lw, w, N, prof);
            t = prof.start();
            if (lw.postMlpNorm != null) Ops.rmsNorm(w.out, 0, w.out, 0, N, d, lw.postMlpNorm, c.eps, c.normPlusOne);
            prof.stop(Op.NORMS, t);
            ht.fire(ht.mlpOut[l], Hooks.MLP_OUT, l, w.out, 0);
            Ops.add(w.out, x, N * d);
            ht.fire(ht.residPost[l], Hooks.RESID_POST, l, x, 0);
        }
        cache.length = start0 + T;
        if (until != null) {
            System.arraycopy(x, 0, until.residOut(), 0, N * d);
            return new float[0];
        }
        if (which == Logits.NONE && ht.finalNorm == null) return new float[0];

        long tn = prof.start();
        Ops.rmsNorm(x, 0, x, 0, N, d, weights.finalNorm, c.eps, c.normPlusOne);
        prof.stop(Op.NORMS, tn);
        ht.fire(ht.finalNorm, Hooks.FINAL_NORM, -1, x, 0);
        if (which == Logits.NONE) return new float[0];
        float[] logits;
        if (which == Logits.ALL) {
            logits = new float[N * c.vocab];
            long th = prof.start();
            MatMul.matmul(x, 0, N, weights.lmHead, logits, 0);
            prof.stop(Op.LM_HEAD, th, 2.0 * N * weights.lmHead.rows * weights.lmHead.cols);
        } else {
            float[] last = w.xn; // free now: gather each sequence's last row here
            for (int b = 0; b < B; b++) {
                int slot = lastSlots == null ? T - 1 : lastSlots[b];
                if (slot < 0 || slot >= T) throw new IllegalArgumentException("last slot " + slot + " of sequence " + b + " is outside [0, " + T + ")");
                System.arraycopy(x, (b * T + slot) * d, last, b * d, d);
            }
            if (into != null && into.length < B * c.vocab) throw new IllegalArgumentException("logits buffer holds " + into.length + " floats, needs " + B * c.vocab);
            logits = into != null ? into : new float[B * c.vocab];
            long th = prof.start();
            MatMul.matmul(last, 0, B, weights.lmHead, logits, 0);
            prof.stop(Op.LM_HEAD, th, 2.0 * B * weights.lmHead.rows * weights.lmHead.cols);
        }
        if (c.finalSoftcap > 0) softcap(logits, c.finalSoftcap);
        return logits;
    }

    /** The {@link Flops} of every forward call so far: a stage's work is the difference before and after it. */
    public double flops() {
        return flops.sum();
    }

    /** The {@link LayerSweep}s run so far: each read every layer's weights once. */
    public long sweeps() {
        return sweeps.sum();
    }

    void sweepRan() {
        sweeps.increment();
    }

    /**
     * Runs {@code request} and keeps a copy of every activation whose hook name matches one of
     * {@code names} (globs such as {@code blocks.*.hook_resid_pre}), as TransformerLens's
     * {@code run_with_cache}: {@code model.runWithCache(Forward.of(ids), "blocks.*.hook_resid_pre").get(3, Hooks.RESID_PRE)}.
     * Only what the globs name is copied; the request's own hooks run first at each point.
     */
    public ActivationCache runWithCache(Forward request, String... names) {
        List<String> points = Hooks.allNames(config.layers);
        for (String glob : names) {
            Pattern p = Hooks.globToRegex(glob);
            if (points.stream().noneMatch(n -> p.matcher(n).matches())) {
                throw new IllegalArgumentException("no hook point is named " + glob + " (names look like " + Hooks.EMBED + ", "
                        + Hooks.blockName(0, Hooks.RESID_PRE) + ", " + Hooks.FINAL_NORM + ")");
            }
        }
        ActivationCache cache = new ActivationCache(config.layers, config.heads);
        cache.logits(forward(names.length == 0 ? request : request.hooks(request.hooks.then(names, cache::keep))));
        return cache;
    }

    private static void softcap(float[] v, float cap) {
        for (int i = 0; i < v.length; i++) v[i] = (float) (cap * Math.tanh(v[i] / cap));
    }

    /** Reads w.xn (normalized input), leaves the o_proj output in w.out; stores this step's k, v in the cache. */
    private void attention(int l, LayerWeights lw, Workspace w, KvCache cache, int B, int T, int start, HookTable ht, OpProfile prof) {
        final ModelConfig c = config;
        final int N = B * T, hd = c.headDim, H = c.heads, KV = c.kvHeads, qDim = c.qDim(), kvDim = c.kvDim();
        linear(w.xn, N, w.queries, lw.wq, lw.bq, w.q, prof);
        linear(w.xn, N, w.padding, lw.wk, lw.bk, w.k, prof);
        linear(w.xn, N, w.padding, lw.wv, lw.bv, w.v, prof);
        final int[] pad = cache.padding;
        final float[][] kv = cache.layer(l);
        long t0 = prof.start();
        Parallel.forRange(N, 4, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int b = r / T, slot = start + r % T, pos = Math.max(0, slot - pad[b]);
                if (lw.qNorm != null) {
                    Ops.rmsNorm(w.q, r * qDim, w.q, r * qDim, H, hd, lw.qNorm, c.eps, false);
                    Ops.rmsNorm(w.k, r * kvDim, w.k, r * kvDim, KV, hd, lw.kNorm, c.eps, false);
                }
                rope.apply(w.q, r * qDim, H, hd, pos);
                rope.apply(w.k, r * kvDim, KV, hd, pos);
                int dst = (b * cache.capacity + slot) * kvDim;
                System.arraycopy(w.k, r * kvDim, kv[0], dst, kvDim);
                System.arraycopy(w.v, r * kvDim, kv[1], dst, kvDim);
            }
        });
        prof.stop(Op.ROPE, t0);
        final int S = start + T;          // slots visible to this call
        final int window = c.window[l];
        final float scale = (float) c.attnScale, cap = c.attnSoftcap;
        final int group = H / KV;
        final float[] K = kv[0], V = kv[1];
        final Consumer<Activation> patternHook = ht.pattern[l];
        final float[] pattern = patternHook == null ? null : new float[B * H * T * S];
        t0 = prof.start();
        // queries of one key/value head in vector lanes, slot by slot and head by head within a slot,
        // so a block's keys end within a few slots of each other (AttentionBlock)
        final int perHead = T * group, blocks = (perHead + AttentionBlock.LANES - 1) / AttentionBlock.LANES;
        Parallel.forRange(B * KV * blocks, 1, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int blk = i % blocks, g = (i / blocks) % KV, b = i / (blocks * KV);
                AttentionBlock block = AttentionBlock.get();
                for (int idx = blk * AttentionBlock.LANES, end = Math.min(perHead, idx + AttentionBlock.LANES); idx < end; idx++) {
                    int t = idx / group, h = g * group + idx % group;
                    int slot = start + t, r = b * T + t;
                    int lo = Math.max(pad[b], window > 0 ? slot - window + 1 : 0);
                    boolean none = w.queries != null && w.queries.isPadding(r); // a padding query: attends to nothing
                    block.add(r * qDim + h * hd, r * qDim + h * hd, lo, none ? -1 : slot, ((b * H + h) * T + t) * S);
                }
                block.run(w.q, K, V, b * cache.capacity * kvDim + g * hd, kvDim, hd, scale, cap, w.z, pattern);
            }
        });
        prof.stop(Op.ATTENTION, t0);
        ht.fire(ht.z[l], Hooks.Z, l, w.z, 0);
        if (patternHook != null) ht.firePattern(l, pattern, S);
        linear(w.z, N, w.queries, lw.wo, lw.bo, w.out, prof);
    }

    /** Reads w.xn, leaves the down projection in w.out. */
    private void mlp(LayerWeights lw, Workspace w, int N, OpProfile prof) {
        final int ff = config.intermediate;
        linear(w.xn, N, w.queries, lw.wGate, lw.bGate, w.gate, prof);
        linear(w.xn, N, w.queries, lw.wUp, lw.bUp, w.up, prof);
        final boolean silu = config.activation == ModelConfig.Activation.SILU;
        long t = prof.start();
        Parallel.forRange(N, 1, (r0, r1) -> {
            int from = r0 * ff, n = (r1 - r0) * ff;
            if (silu) Ops.siluMul(w.gate, from, w.up, from, n);
            else Ops.geluTanhMul(w.gate, from, w.up, from, n);
        });
        prof.stop(Op.ACTIVATION, t);
        linear(w.gate, N, w.queries, lw.wDown, lw.bDown, w.out, prof);
    }

    /** y = x · wtᵀ + bias on the rows that are not padding; padding rows of y are set to zero. */
    private static void linear(float[] x, int rows, PaddingRows padding, Matrix wt, float[] bias, float[] y, OpProfile prof) {
        long t = prof.start();
        int n = wt.rows;
        int live = padding == null ? rows : padding.live().length;
        if (padding == null) {
            MatMul.matmul(x, 0, rows, wt, y, 0);
            if (bias != null) for (int r = 0; r < rows; r++) Ops.axpy(1f, bias, 0, y, r * n, n);
        } else {
            MatMul.matmulRows(x, padding.live(), live, wt, y);
            if (bias != null) for (int r : padding.live()) Ops.axpy(1f, bias, 0, y, r * n, n);
            for (int r : padding.dead()) java.util.Arrays.fill(y, r * n, (r + 1) * n, 0f);
        }
        prof.stop(Op.MATMUL, t, 2.0 * live * n * wt.cols);
    }

    private Workspace workspace(int rows) {
        if (ws == null || ws.rows < rows) ws = new Workspace(rows);
        return ws;
    }

    /** Per-call buffers, reused across calls with the same or fewer rows (no allocation per token). */
    private final class Workspace {
        final int rows;
        PaddingRows padding; // this call's padding rows, or null when every row is a real token
        PaddingRows queries; // rows skipped past this layer's keys and values: padding, or in the final layer of a LAST_ONLY call every row but the last slots

        final float[] x, xn, q, k, v, z, out, gate, up;

        Workspace(int rows) {
            ModelConfig c = config;
            this.rows = rows;
            x = new float[rows * c.hidden];
            xn = new float[rows * c.hidden];
            q = new float[rows * c.qDim()];
            k = new float[rows * c.kvDim()];
            v = new float[rows * c.kvDim()];
            z = new float[rows * c.qDim()];
            out = new float[rows * c.hidden];
            gate = new float[rows * c.intermediate];
            up = new float[rows * c.intermediate];
        }
    }

    @Override
    public void close() {
        files.close();
    }
}
