package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Every trainable tensor of the model in one flat F32 heap array (llm.c style), so that the
 * optimizer, gradient clipping and checkpoints treat the model as one vector. Each tensor has its
 * Hugging Face name and [rows, cols] (a norm weight is [1, d]). Gradients use an array of the
 * same layout. The forward pass reads weight matrices through {@link #matrix}: F32 views of an
 * off-heap mirror (the inference kernels read weights from memory segments), refreshed by
 * {@link #sync()} after every change of {@link #data}.
 */
public final class Params {
    /** One tensor: data[offset .. offset + rows*cols), row-major. */
    public record Tensor(String name, int offset, int rows, int cols, boolean isNormOrEmbedding) {
        public int size() {
            return rows * cols;
        }

        public long[] hfShape() {
            return rows == 1 ? new long[] {cols} : new long[] {rows, cols};
        }
    }

    public final Shape shape;
    public final float[] data;
    private final List<Tensor> tensors;
    private final MemorySegment mirror;
    private final Matrix[] views;   // one per tensor

    // offsets of each tensor, by role
    public final Tensor embed, finalNorm, lmHead; // lmHead == embed when tied
    public final Tensor[] attnNorm, wq, wk, wv, wo, mlpNorm, wGate, wUp, wDown;

    public Params(Shape s) {
        this.shape = s;
        List<Tensor> t = new ArrayList<>();
        int[] off = {0};
        int L = s.layers(), d = s.hidden();
        attnNorm = new Tensor[L]; wq = new Tensor[L]; wk = new Tensor[L]; wv = new Tensor[L]; wo = new Tensor[L];
        mlpNorm = new Tensor[L]; wGate = new Tensor[L]; wUp = new Tensor[L]; wDown = new Tensor[L];
        embed = add(t, off, "model.embed_tokens.weight", s.vocab(), d, true);
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            attnNorm[l] = add(t, off, p + "input_layernorm.weight", 1, d, true);
            wq[l] = add(t, off, p + "self_attn.q_proj.weight", s.qDim(), d, false);
            wk[l] = add(t, off, p + "self_attn.k_proj.weight", s.kvDim(), d, false);
            wv[l] = add(t, off, p + "self_attn.v_proj.weight", s.kvDim(), d, false);
            wo[l] = add(t, off, p + "self_attn.o_proj.weight", d, s.qDim(), false);
            mlpNorm[l] = add(t, off, p + "post_attention_layernorm.weight", 1, d, true);
            wGate[l] = add(t, off, p + "mlp.gate_proj.weight", s.intermediate(), d, false);
            wUp[l] = add(t, off, p + "mlp.up_proj.weight", s.intermediate(), d, false);
            wDown[l] = add(t, off, p + "mlp.down_proj.weight", d, s.intermediate(), false);
        }
        finalNorm = add(t, off, "model.norm.weight", 1, d, true);
        lmHead = s.tied() ? embed : add(t, off, "lm_head.weight", s.vocab(), d, false);
        this.tensors = Collections.unmodifiableList(t);
        this.data = new float[off[0]];
        this.mirror = Arena.ofAuto().allocate(4L * off[0], 64);
        this.views = new Matrix[t.size()];
        for (int i = 0; i < t.size(); i++) {
            Tensor x = t.get(i);
            views[i] = new Matrix(mirror.asSlice(4L * x.offset(), 4L * x.size()), DType.F32, x.rows(), x.cols());
        }
    }

    private static Tensor add(List<Tensor> t, int[] off, String name, int rows, int cols, boolean noDecay) {
        Tensor x = new Tensor(name, off[0], rows, cols, noDecay);
        t.add(x);
        off[0] = Math.addExact(off[0], Math.multiplyExact(rows, cols));
        return x;
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    public int size() {
        return data.length;
    }

    /**
     * GPT-2 style initialization with {@code rng}: matrices N(0, 0.02²), the two projections that write
     * to the residual stream (o_proj, down_proj) scaled by 1/sqrt(2·layers), norm weights 1.
     */
    public void init(SplittableRandom rng) {
        float std = 0.02f, residStd = (float) (0.02 / Math.sqrt(2.0 * shape.layers()));
        for (Tensor t : tensors) {
            if (t.rows() == 1) {
                java.util.Arrays.fill(data, t.offset(), t.offset() + t.size(), 1f);
                continue;
            }
            boolean resid = t.name().endsWith("o_proj.weight") || t.name().endsWith("down_proj.weight");
            float sd = resid ? residStd : std;
            for (int i = 0; i < t.size(); i++) data[t.offset() + i] = (float) (gaussian(rng) * sd);
        }
        sync();
    }

    /** Standard normal by Box–Muller from a SplittableRandom (which has no nextGaussian of its own state). */
    static double gaussian(SplittableRandom rng) {
        double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** Copies {@link #data} into the off-heap mirror read by {@link #matrix}. */
    public void sync() {
        MemorySegment.copy(data, 0, mirror, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, data.length);
    }

    /** The tensor as a weight matrix for {@code MatMul}, as of the last {@link #sync()}. */
    public Matrix matrix(Tensor t) {
        return views[tensors.indexOf(t)];
    }

    public float[] copyOf(Tensor t) {
        return java.util.Arrays.copyOfRange(data, t.offset(), t.offset() + t.size());
    }
}
