package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.MatMul;
import dev.refusal4j.tensor.Parallel;

import java.util.Arrays;

/**
 * The Llama forward pass with saved activations, and its backward pass, composed from the layers
 * of this package (each with its forward and backward side by side). Per block:
 * <pre>
 *   xn1 = RmsNorm(x);  q, k, v = Linear(xn1);  Rotary(q, k);  z = Attention(q, k, v)
 *   mid = x + Linear_o(z)
 *   xn2 = RmsNorm(mid);  h = SwiGlu(Linear_gate(xn2), Linear_up(xn2))
 *   x'  = mid + Linear_down(h)
 * </pre>
 * then logits = Linear_head(RmsNorm(x)) on the slots that carry a target only, and the
 * cross-entropy on those. Gradients go to {@link #grads} (layout of {@link Params#data}).
 */
public final class LlamaModel {
    public final Shape shape;
    public final Params params;
    public final float[] grads;
    private final Rotary rotary;
    private Acts a;

    public LlamaModel(Params params) {
        this.shape = params.shape;
        this.params = params;
        this.grads = new float[params.size()];
        this.rotary = new Rotary(shape.headDim(), shape.ropeTheta(), shape.context());
    }

    /** Weighted mean cross-entropy per target token; fills {@link #grads} (overwriting) when {@code backward}. */
    public double step(Batch b, boolean backward) {
        return step(b, backward, shape.layers());
    }

    /**
     * As {@link #step(Batch, boolean)} through the first {@code depth} blocks only: the final norm and
     * head read the residual stream after block {@code depth - 1} (an early exit; deeper blocks get no
     * gradient).
     */
    public double step(Batch b, boolean backward, int depth) {
        if (depth < 1 || depth > shape.layers()) throw new IllegalArgumentException("depth " + depth + " outside [1, " + shape.layers() + "]");
        int N = b.B() * b.T();
        ensureActs(N, b.T());
        forwardBody(b, depth);
        // the head only on target slots
        int M = 0;
        for (int r = 0; r < N; r++) if (b.targets()[r] >= 0) a.rows[M++] = r;
        if (M == 0) throw new IllegalArgumentException("batch has no target tokens");
        final int d = shape.hidden(), V = shape.vocab(), Mf = M;
        a.ensureHead(M, d, V);
        for (int i = 0; i < M; i++) {
            System.arraycopy(a.xf, a.rows[i] * d, a.xfRows, i * d, d);
            a.targetRows[i] = b.targets()[a.rows[i]];
            a.weightRows[i] = b.weights()[a.rows[i]];
        }
        double norm = 0;
        for (int i = 0; i < M; i++) norm += a.weightRows[i];
        Linear.forward(a.xfRows, M, params, params.lmHead, a.logits);
        double loss = CrossEntropy.forwardBackward(a.logits, a.targetRows, a.weightRows, M, V, norm, a.rowLoss) / norm;
        if (backward) backward(b, Mf, depth);
        return loss;
    }

    /** Logits of every slot [B·T, V] (for checking against the inference engine). */
    public float[] logits(Batch b) {
        int N = b.B() * b.T();
        ensureActs(N, b.T());
        forwardBody(b, shape.layers());
        float[] out = new float[N * shape.vocab()];
        MatMul.matmul(a.xf, 0, N, params.matrix(params.lmHead), out, 0);
        return out;
    }

    private void ensureActs(int N, int T) {
        if (T > shape.context()) throw new IllegalArgumentException("batch of " + T + " slots exceeds the context " + shape.context());
        if (a == null || a.N < N || a.T < T) a = new Acts(shape, a == null ? N : Math.max(N, a.N), a == null ? T : Math.max(T, a.T));
    }

    private void forwardBody(Batch b, int depth) {
        final Shape s = shape;
        final Params p = params;
        final float[] w = p.data;
        final int B = b.B(), T = b.T(), N = B * T, d = s.hidden(), F = s.intermediate();
        for (int id : b.ids()) if (id < 0 || id >= s.vocab()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + s.vocab() + ")");
        Embedding.forward(b.ids(), w, p.embed.offset(), a.x[0], N, d);
        for (int l = 0; l < depth; l++) {
            float[] x = a.x[l];
            RmsNorm.forward(x, w, p.attnNorm[l].offset(), a.xn1[l], a.rstd1[l], N, d, s.eps());
            Linear.forward(a.xn1[l], N, p, p.wq[l], a.q[l]);
            Linear.forward(a.xn1[l], N, p, p.wk[l], a.k[l]);
            Linear.forward(a.xn1[l], N, p, p.wv[l], a.v[l]);
            rotate(a.q[l], a.k[l], b, false);
            Attention.forward(a.q[l], a.k[l], a.v[l], b.start(), a.att[l], a.z[l], B, T, s);
            Linear.forward(a.z[l], N, p, p.wo[l], a.mid[l]);
            add(x, a.mid[l], N * d);
            RmsNorm.forward(a.mid[l], w, p.mlpNorm[l].offset(), a.xn2[l], a.rstd2[l], N, d, s.eps());
            Linear.forward(a.xn2[l], N, p, p.wGate[l], a.gate[l]);
            Linear.forward(a.xn2[l], N, p, p.wUp[l], a.up[l]);
            SwiGlu.forward(a.gate[l], a.up[l], a.h[l], N * F);
            Linear.forward(a.h[l], N, p, p.wDown[l], a.x[l + 1]);
            add(a.mid[l], a.x[l + 1], N * d);
        }
        RmsNorm.forward(a.x[depth], w, p.finalNorm.offset(), a.xf, a.rstdF, N, d, s.eps());
    }

    private void backward(Batch b, int M, int depth) {
        final Shape s = shape;
        final Params p = params;
        final float[] w = p.data, g = grads;
        final int B = b.B(), T = b.T(), N = B * T, d = s.hidden(), F = s.intermediate();
        Arrays.fill(g, 0f);
        // head: gradient of the target rows, scattered back to all slots
        Arrays.fill(a.dxf, 0, N * d, 0f);
        Linear.backward(a.logits, a.xfRows, M, p, p.lmHead, g, a.dRows, false);
        for (int i = 0; i < M; i++) System.arraycopy(a.dRows, i * d, a.dxf, a.rows[i] * d, d);
        float[] dx = a.dx;
        Arrays.fill(dx, 0, N * d, 0f);
        RmsNorm.backward(a.dxf, a.x[depth], w, p.finalNorm.offset(), a.rstdF, dx, g, p.finalNorm.offset(), N, d);
        for (int l = depth - 1; l >= 0; l--) {
            // x' = mid + down(h): dx flows to mid unchanged, and through the MLP
            Linear.backward(dx, a.h[l], N, p, p.wDown[l], g, a.dh, false);
            SwiGlu.backward(a.dh, a.gate[l], a.up[l], a.dGate, a.dUp, N * F);
            Linear.backward(a.dGate, a.xn2[l], N, p, p.wGate[l], g, a.dxn, false);
            Linear.backward(a.dUp, a.xn2[l], N, p, p.wUp[l], g, a.dxn, true);
            RmsNorm.backward(a.dxn, a.mid[l], w, p.mlpNorm[l].offset(), a.rstd2[l], dx, g, p.mlpNorm[l].offset(), N, d);
            // mid = x + o(z)
            Linear.backward(dx, a.z[l], N, p, p.wo[l], g, a.dz, false);
            Attention.backward(a.dz, a.q[l], a.k[l], a.v[l], b.start(), a.att[l], a.dq, a.dk, a.dv, B, T, s);
            rotate(a.dq, a.dk, b, true);
            Linear.backward(a.dq, a.xn1[l], N, p, p.wq[l], g, a.dxn, false);
            Linear.backward(a.dk, a.xn1[l], N, p, p.wk[l], g, a.dxn, true);
            Linear.backward(a.dv, a.xn1[l], N, p, p.wv[l], g, a.dxn, true);
            RmsNorm.backward(a.dxn, a.x[l], w, p.attnNorm[l].offset(), a.rstd1[l], dx, g, p.attnNorm[l].offset(), N, d);
        }
        Embedding.backward(b.ids(), dx, g, p.embed.offset(), N, d);
    }

    private void rotate(float[] q, float[] k, Batch b, boolean backward) {
        final Shape s = shape;
        final int N = b.B() * b.T();
        Parallel.forRange(N, 16, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int pos = b.position(r);
                rotary.apply(q, r * s.qDim(), s.heads(), s.headDim(), pos, backward);
                rotary.apply(k, r * s.kvDim(), s.kvHeads(), s.headDim(), pos, backward);
            }
        });
    }

    private static void add(float[] src, float[] dst, int n) {
        Parallel.forRange(n, 1 << 14, (i0, i1) -> dev.refusal4j.tensor.Ops.axpy(1f, src, i0, dst, i0, i1 - i0));
    }

    /** Saved activations and backward scratch for up to N slots. Shapes per layer in comments. */
    private static final class Acts {
        final int N, T;
        final float[][] x;                         // (layers + 1) × [N, d]: residual stream entering each block, and the last output
        final float[][] xn1, mid, xn2;             // [N, d]
        final float[][] rstd1, rstd2;              // [N]
        final float[][] q, z;                      // [N, qDim]
        final float[][] k, v;                      // [N, kvDim]
        final float[][] att;                       // [B, H, T, T] = [N · H · T]
        final float[][] gate, up, h;               // [N, F]
        final float[] xf, rstdF;                   // [N, d], [N]
        final int[] rows;                          // [N] slots with a target
        final float[] dx, dxn, dxf;                // [N, d]
        final float[] dq, dz, dk, dv;              // [N, qDim], [N, kvDim]
        final float[] dh, dGate, dUp;              // [N, F]
        float[] xfRows = new float[0], dRows = new float[0], logits = new float[0]; // [M, d], [M, d], [M, V]
        int[] targetRows = new int[0];
        float[] weightRows = new float[0];
        double[] rowLoss = new double[0];

        Acts(Shape s, int N, int T) {
            this.N = N;
            this.T = T;
            int L = s.layers(), d = s.hidden(), F = s.intermediate(), qd = s.qDim(), kvd = s.kvDim();
            x = new float[L + 1][N * d];
            xn1 = new float[L][N * d]; mid = new float[L][N * d]; xn2 = new float[L][N * d];
            rstd1 = new float[L][N]; rstd2 = new float[L][N];
            q = new float[L][N * qd]; z = new float[L][N * qd];
            k = new float[L][N * kvd]; v = new float[L][N * kvd];
            att = new float[L][Math.multiplyExact(N * s.heads(), T)];
            gate = new float[L][N * F]; up = new float[L][N * F]; h = new float[L][N * F];
            xf = new float[N * d]; rstdF = new float[N];
            rows = new int[N];
            dx = new float[N * d]; dxn = new float[N * d]; dxf = new float[N * d];
            dq = new float[N * qd]; dz = new float[N * qd]; dk = new float[N * kvd]; dv = new float[N * kvd];
            dh = new float[N * F]; dGate = new float[N * F]; dUp = new float[N * F];
        }

        void ensureHead(int M, int d, int V) {
            if (xfRows.length < M * d) {
                xfRows = new float[M * d];
                dRows = new float[M * d];
                logits = new float[M * V];
                targetRows = new int[M];
                weightRows = new float[M];
                rowLoss = new double[M];
            }
        }
    }
}
