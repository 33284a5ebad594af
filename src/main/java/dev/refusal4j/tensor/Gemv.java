package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * y[M, N] = x[M, K] · w[N, K]ᵀ for a few rows of x (decode): each weight is read once, straight
 * from the mapped segment, and used against every x row, so the speed is the memory bandwidth.
 * Rows of w are split across cores.
 *
 * <p>ggml blocks (Q8_0, Q4_0, Q5_0, Q4_K, Q6_K) are widened in registers by their {@code Kernel*} class
 * and multiplied at once for one x row; for several, each w row is widened once into L1 and
 * dotted with every x row, as F16 is.
 *
 * <p>BF16 is widened in registers without any cross-lane shuffle: one int lane holds two BF16
 * values, {@code lane << 16} is the even one and {@code lane & 0xFFFF0000} the odd one, so x is
 * deinterleaved once per call into the same even/odd order (blocks of 2L elements).
 */
final class Gemv {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Float> S = Species.F;
    private static final VectorSpecies<Integer> I = Species.I;
    private static final int L = S.length();
    private static final int GRAIN_ROWS = 64;

    private static final ThreadLocal<float[]> X_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> ROW_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private Gemv() {}

    static void run(float[] x, int xOff, int M, Matrix w, float[] y, int yOff) {
        final int N = w.rows, K = w.cols;
        switch (w.dtype) {
            case F32 -> Parallel.forRange(N, GRAIN_ROWS, (n0, n1) -> f32Rows(x, xOff, M, w.data, K, N, n0, n1, y, yOff));
            case BF16 -> {
                float[] xd = deinterleave(x, xOff, M, K);
                Parallel.forRange(N, GRAIN_ROWS, (n0, n1) -> bf16Rows(xd, M, w.data, K, N, n0, n1, y, yOff));
            }
            case F16 -> Parallel.forRange(N, GRAIN_ROWS, (n0, n1) -> widenedRows(x, xOff, M, w, n0, n1, y, yOff));
            case Q8_0, Q4_0, Q5_0, Q4_K, Q6_K -> Parallel.forRange(N, GRAIN_ROWS, (n0, n1) -> {
                if (M == 1 && Species.BLOCK_KERNELS) blockRows(x, xOff, w, n0, n1, y, yOff);
                else widenedRows(x, xOff, M, w, n0, n1, y, yOff);
            });
        }
    }

    /**
     * Rows [n0, n1) of w widened one at a time into per-thread scratch (it stays in L1) and dotted
     * with every x row: each weight is widened once however many x rows there are.
     */
    private static void widenedRows(float[] x, int xOff, int M, Matrix w, int n0, int n1, float[] y, int yOff) {
        final int N = w.rows, K = w.cols;
        float[] row = scratch(ROW_SCRATCH, K);
        for (int n = n0; n < n1; n++) {
            Widen.row(w, n, 0, K, row, 0);
            for (int m = 0; m < M; m++) y[yOff + m * N + n] = Ops.dot(x, xOff + m * K, row, 0, K);
        }
    }

    /** One x row against rows [n0, n1) of ggml blocks, each block widened in registers and used at once. */
    private static void blockRows(float[] x, int xOff, Matrix w, int n0, int n1, float[] y, int yOff) {
        long rowBytes = w.rowBytes();
        int blocks = w.cols / w.dtype.blockElements;
        MemorySegment d = w.data;
        switch (w.dtype) {
            case Q8_0 -> { for (int n = n0; n < n1; n++) y[yOff + n] = KernelQ8_0.dot(d, n * rowBytes, blocks, x, xOff); }
            case Q4_0 -> { for (int n = n0; n < n1; n++) y[yOff + n] = KernelQ4_0.dot(d, n * rowBytes, blocks, x, xOff); }
            case Q5_0 -> { for (int n = n0; n < n1; n++) y[yOff + n] = KernelQ5_0.dot(d, n * rowBytes, blocks, x, xOff); }
            case Q4_K -> { for (int n = n0; n < n1; n++) y[yOff + n] = KernelQ4_K.dot(d, n * rowBytes, blocks, x, xOff); }
            case Q6_K -> { for (int n = n0; n < n1; n++) y[yOff + n] = KernelQ6_K.dot(d, n * rowBytes, blocks, x, xOff); }
            default -> throw new IllegalArgumentException(w.dtype + " is not a block type");
        }
    }

    private static float[] scratch(ThreadLocal<float[]> holder, int size) {
        float[] a = holder.get();
        if (a.length < size) {
            a = new float[size];
            holder.set(a);
        }
        return a;
    }

    // ---------------------------------------------------------------- F32

    private static void f32Rows(float[] x, int xOff, int M, MemorySegment w, int K, int N, int n0, int n1, float[] y, int yOff) {
        int n = n0;
        for (; n + 4 <= n1; n += 4) {
            long o = (long) n * K * 4;
            int m = 0;
            for (; m + 2 <= M; m += 2) f32Dot4x2(x, xOff + m * K, w, o, K, y, yOff + m * N + n, N);
            if (m < M) f32Dot4(x, xOff + m * K, w, o, K, y, yOff + m * N + n);
        }
        for (; n < n1; n++) {
            long o = (long) n * K * 4;
            for (int m = 0; m < M; m++) y[yOff + m * N + n] = f32Dot(x, xOff + m * K, w, o, K);
        }
    }

    /** Four consecutive w rows (from byte offset o, rows K floats apart) against one x row. */
    private static void f32Dot4(float[] x, int xo, MemorySegment w, long o, int K, float[] y, int yo) {
        long rb = 4L * K, o1 = o + rb, o2 = o1 + rb, o3 = o2 + rb;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int k = 0, upper = S.loopBound(K);
        for (; k < upper; k += L) {
            FloatVector v = FloatVector.fromArray(S, x, xo + k);
            long b = 4L * k;
            a0 = FloatVector.fromMemorySegment(S, w, o + b, LE).fma(v, a0);
            a1 = FloatVector.fromMemorySegment(S, w, o1 + b, LE).fma(v, a1);
            a2 = FloatVector.fromMemorySegment(S, w, o2 + b, LE).fma(v, a2);
            a3 = FloatVector.fromMemorySegment(S, w, o3 + b, LE).fma(v, a3);
        }
        float s0 = Species.sum(a0), s1 = Species.sum(a1);
        float s2 = Species.sum(a2), s3 = Species.sum(a3);
        for (; k < K; k++) {
            float v = x[xo + k];
            long b = 4L * k;
            s0 += v * w.get(Matrix.F32, o + b);
            s1 += v * w.get(Matrix.F32, o1 + b);
            s2 += v * w.get(Matrix.F32, o2 + b);
            s3 += v * w.get(Matrix.F32, o3 + b);
        }
        y[yo] = s0; y[yo + 1] = s1; y[yo + 2] = s2; y[yo + 3] = s3;
    }

    /** Four w rows against two x rows (K floats apart), each weight vector loaded once for both. */
    private static void f32Dot4x2(float[] x, int xo, MemorySegment w, long o, int K, float[] y, int yo, int N) {
        long rb = 4L * K, o1 = o + rb, o2 = o1 + rb, o3 = o2 + rb;
        int xo1 = xo + K;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0, upper = S.loopBound(K);
        for (; k < upper; k += L) {
            FloatVector u = FloatVector.fromArray(S, x, xo + k), v = FloatVector.fromArray(S, x, xo1 + k);
            long b = 4L * k;
            FloatVector r = FloatVector.fromMemorySegment(S, w, o + b, LE);
            a0 = r.fma(u, a0); b0 = r.fma(v, b0);
            r = FloatVector.fromMemorySegment(S, w, o1 + b, LE);
            a1 = r.fma(u, a1); b1 = r.fma(v, b1);
            r = FloatVector.fromMemorySegment(S, w, o2 + b, LE);
            a2 = r.fma(u, a2); b2 = r.fma(v, b2);
            r = FloatVector.fromMemorySegment(S, w, o3 + b, LE);
            a3 = r.fma(u, a3); b3 = r.fma(v, b3);
        }
        y[yo] = Species.sum(a0); y[yo + 1] = Species.sum(a1);
        y[yo + 2] = Species.sum(a2); y[yo + 3] = Species.sum(a3);
        y[yo + N] = Species.sum(b0); y[yo + N + 1] = Species.sum(b1);
        y[yo + N + 2] = Species.sum(b2); y[yo + N + 3] = Species.sum(b3);
        for (; k < K; k++) {
            long b = 4L * k;
            float u = x[xo + k], v = x[xo1 + k];
            float w0 = w.get(Matrix.F32, o + b), w1 = w.get(Matrix.F32, o1 + b), w2 = w.get(Matrix.F32, o2 + b), w3 = w.get(Matrix.F32, o3 + b);
            y[yo] += u * w0; y[yo + 1] += u * w1; y[yo + 2] += u * w2; y[yo + 3] += u * w3;
            y[yo + N] += v * w0; y[yo + N + 1] += v * w1; y[yo + N + 2] += v * w2; y[yo + N + 3] += v * w3;
        }
    }

    private static float f32Dot(float[] x, int xo, MemorySegment w, long o, int K) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0;
        int k = 0, upper2 = K - K % (2 * L);
        for (; k < upper2; k += 2 * L) {
            a0 = FloatVector.fromMemorySegment(S, w, o + 4L * k, LE).fma(FloatVector.fromArray(S, x, xo + k), a0);
            a1 = FloatVector.fromMemorySegment(S, w, o + 4L * (k + L), LE).fma(FloatVector.fromArray(S, x, xo + k + L), a1);
        }
        float s = Species.sum(a0.add(a1));
        for (; k < K; k++) s += x[xo + k] * w.get(Matrix.F32, o + 4L * k);
        return s;
    }

    // ---------------------------------------------------------------- BF16

    /**
     * x rows with each block of 2L elements reordered to (even elements, odd elements), matching
     * the order in which {@link #bf16Dot4} widens w; the tail past the last whole block is unchanged.
     */
    private static float[] deinterleave(float[] x, int xOff, int M, int K) {
        float[] xd = scratch(X_SCRATCH, M * K);
        int blocks = K - K % (2 * L);
        for (int m = 0; m < M; m++) {
            int src = xOff + m * K, dst = m * K;
            for (int b = 0; b < blocks; b += 2 * L) {
                for (int i = 0; i < L; i++) {
                    xd[dst + b + i] = x[src + b + 2 * i];
                    xd[dst + b + L + i] = x[src + b + 2 * i + 1];
                }
            }
            System.arraycopy(x, src + blocks, xd, dst + blocks, K - blocks);
        }
        return xd;
    }

    private static void bf16Rows(float[] xd, int M, MemorySegment w, int K, int N, int n0, int n1, float[] y, int yOff) {
        int n = n0;
        if (M == 1) {
            // One sequential stream through the rows: with four interleaved row streams the hardware
            // prefetcher restarts on every short row.
            for (; n < n1; n++) y[yOff + n] = bf16Dot(xd, 0, w, (long) n * K * 2, K);
            return;
        }
        for (; n + 4 <= n1; n += 4) {
            long o = (long) n * K * 2;
            int m = 0;
            for (; m + 2 <= M; m += 2) bf16Dot4x2(xd, m * K, w, o, K, y, yOff + m * N + n, N);
            if (m < M) bf16Dot4(xd, m * K, w, o, K, y, yOff + m * N + n);
        }
        for (; n < n1; n++) {
            long o = (long) n * K * 2;
            for (int m = 0; m < M; m++) y[yOff + m * N + n] = bf16Dot(xd, m * K, w, o, K);
        }
    }

    private static final int HIGH = 0xFFFF0000;

    /**
     * Four consecutive BF16 w rows (from byte offset o) against one deinterleaved x row; even and
     * odd halves accumulate separately so that eight FMA chains hide the FMA latency.
     */
    private static void bf16Dot4(float[] xd, int xo, MemorySegment w, long o, int K, float[] y, int yo) {
        long rb = 2L * K, o1 = o + rb, o2 = o1 + rb, o3 = o2 + rb;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, e0 = a0, e1 = a0, e2 = a0, e3 = a0;
        int k = 0, blocks = K - K % (2 * L);
        for (; k < blocks; k += 2 * L) {
            FloatVector xe = FloatVector.fromArray(S, xd, xo + k), xodd = FloatVector.fromArray(S, xd, xo + k + L);
            long b = 2L * k;
            IntVector v = IntVector.fromMemorySegment(I, w, o + b, LE);
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a0);
            e0 = v.and(HIGH).reinterpretAsFloats().fma(xodd, e0);
            v = IntVector.fromMemorySegment(I, w, o1 + b, LE);
            a1 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a1);
            e1 = v.and(HIGH).reinterpretAsFloats().fma(xodd, e1);
            v = IntVector.fromMemorySegment(I, w, o2 + b, LE);
            a2 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a2);
            e2 = v.and(HIGH).reinterpretAsFloats().fma(xodd, e2);
            v = IntVector.fromMemorySegment(I, w, o3 + b, LE);
            a3 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, a3);
            e3 = v.and(HIGH).reinterpretAsFloats().fma(xodd, e3);
        }
        float s0 = Species.sum(a0.add(e0)), s1 = Species.sum(a1.add(e1));
        float s2 = Species.sum(a2.add(e2)), s3 = Species.sum(a3.add(e3));
        for (; k < K; k++) {
            float v = xd[xo + k];
            long b = 2L * k;
            s0 += v * DType.bf16ToFloat(w.get(Matrix.I16, o + b));
            s1 += v * DType.bf16ToFloat(w.get(Matrix.I16, o1 + b));
            s2 += v * DType.bf16ToFloat(w.get(Matrix.I16, o2 + b));
            s3 += v * DType.bf16ToFloat(w.get(Matrix.I16, o3 + b));
        }
        y[yo] = s0; y[yo + 1] = s1; y[yo + 2] = s2; y[yo + 3] = s3;
    }

    /** Four BF16 w rows against two deinterleaved x rows (K apart): each weight is widened once for both. */
    private static void bf16Dot4x2(float[] xd, int xo, MemorySegment w, long o, int K, float[] y, int yo, int N) {
        long rb = 2L * K, o1 = o + rb, o2 = o1 + rb, o3 = o2 + rb;
        int xo1 = xo + K;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0, blocks = K - K % (2 * L);
        for (; k < blocks; k += 2 * L) {
            FloatVector ue = FloatVector.fromArray(S, xd, xo + k), uo = FloatVector.fromArray(S, xd, xo + k + L);
            FloatVector ve = FloatVector.fromArray(S, xd, xo1 + k), vo = FloatVector.fromArray(S, xd, xo1 + k + L);
            long b = 2L * k;
            IntVector v = IntVector.fromMemorySegment(I, w, o + b, LE);
            FloatVector lo = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), hi = v.and(HIGH).reinterpretAsFloats();
            a0 = hi.fma(uo, lo.fma(ue, a0)); b0 = hi.fma(vo, lo.fma(ve, b0));
            v = IntVector.fromMemorySegment(I, w, o1 + b, LE);
            lo = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); hi = v.and(HIGH).reinterpretAsFloats();
            a1 = hi.fma(uo, lo.fma(ue, a1)); b1 = hi.fma(vo, lo.fma(ve, b1));
            v = IntVector.fromMemorySegment(I, w, o2 + b, LE);
            lo = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); hi = v.and(HIGH).reinterpretAsFloats();
            a2 = hi.fma(uo, lo.fma(ue, a2)); b2 = hi.fma(vo, lo.fma(ve, b2));
            v = IntVector.fromMemorySegment(I, w, o3 + b, LE);
            lo = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(); hi = v.and(HIGH).reinterpretAsFloats();
            a3 = hi.fma(uo, lo.fma(ue, a3)); b3 = hi.fma(vo, lo.fma(ve, b3));
        }
        y[yo] = Species.sum(a0); y[yo + 1] = Species.sum(a1);
        y[yo + 2] = Species.sum(a2); y[yo + 3] = Species.sum(a3);
        y[yo + N] = Species.sum(b0); y[yo + N + 1] = Species.sum(b1);
        y[yo + N + 2] = Species.sum(b2); y[yo + N + 3] = Species.sum(b3);
        for (; k < K; k++) {
            long b = 2L * k;
            float u = xd[xo + k], v = xd[xo1 + k];
            float w0 = DType.bf16ToFloat(w.get(Matrix.I16, o + b)), w1 = DType.bf16ToFloat(w.get(Matrix.I16, o1 + b));
            float w2 = DType.bf16ToFloat(w.get(Matrix.I16, o2 + b)), w3 = DType.bf16ToFloat(w.get(Matrix.I16, o3 + b));
            y[yo] += u * w0; y[yo + 1] += u * w1; y[yo + 2] += u * w2; y[yo + 3] += u * w3;
            y[yo + N] += v * w0; y[yo + N + 1] += v * w1; y[yo + N + 2] += v * w2; y[yo + N + 3] += v * w3;
        }
    }

    private static float bf16Dot(float[] xd, int xo, MemorySegment w, long o, int K) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int k = 0, blocks = K - K % (2 * L), pairs = K - K % (4 * L);
        for (; k < pairs; k += 4 * L) {
            IntVector v = IntVector.fromMemorySegment(I, w, o + 2L * k, LE);
            IntVector u = IntVector.fromMemorySegment(I, w, o + 2L * (k + 2 * L), LE);
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, xd, xo + k), a0);
            a1 = v.and(HIGH).reinterpretAsFloats().fma(FloatVector.fromArray(S, xd, xo + k + L), a1);
            a2 = u.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, xd, xo + k + 2 * L), a2);
            a3 = u.and(HIGH).reinterpretAsFloats().fma(FloatVector.fromArray(S, xd, xo + k + 3 * L), a3);
        }
        for (; k < blocks; k += 2 * L) {
            IntVector v = IntVector.fromMemorySegment(I, w, o + 2L * k, LE);
            a0 = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(S, xd, xo + k), a0);
            a1 = v.and(HIGH).reinterpretAsFloats().fma(FloatVector.fromArray(S, xd, xo + k + L), a1);
        }
        float s = Species.sum(a0.add(a1).add(a2.add(a3)));
        for (; k < K; k++) s += xd[xo + k] * DType.bf16ToFloat(w.get(Matrix.I16, o + 2L * k));
        return s;
    }
}
