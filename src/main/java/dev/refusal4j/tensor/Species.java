package dev.refusal4j.tensor;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** The vector shapes every kernel uses: the CPU's preferred width. */
final class Species {
    static final VectorShape SHAPE = VectorShape.preferredShape();
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, SHAPE);
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, SHAPE);
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, SHAPE);
    /** Shorts at half the width, so that widening one vector of them fills one float vector. */
    static final VectorSpecies<Short> HALF_SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));
    /**
     * Whether the ggml block kernels run here: they widen one byte vector of {@link #F}'s lane count
     * into one float vector, and read 8 or 16 weights of a block at a time, so they need 8 or 16
     * float lanes (256- or 512-bit vectors). Elsewhere quantized rows go through ggml's reference
     * dequantizer.
     */
    static final boolean BLOCK_KERNELS = F.length() == 8 || F.length() == 16;
    /** Bytes with as many lanes as {@link #F} (null where {@link #BLOCK_KERNELS} is false). */
    static final VectorSpecies<Byte> QUARTER_BYTES = BLOCK_KERNELS ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;

    private Species() {}

    private static final VectorShuffle<Float>[] FOLD_F = folds(F);
    private static final VectorShuffle<Double>[] FOLD_D = folds(D);

    @SuppressWarnings("unchecked")
    private static <E> VectorShuffle<E>[] folds(VectorSpecies<E> s) {
        int n = Integer.numberOfTrailingZeros(s.length());
        VectorShuffle<E>[] f = new VectorShuffle[n];
        for (int k = 0, half = s.length() / 2; half >= 1; k++, half /= 2) {
            final int h = half;
            f[k] = VectorShuffle.fromOp(s, i -> (i + h) % s.length());
        }
        return f;
    }

    /**
     * The sum of the lanes, folded in halves in a fixed order. {@code reduceLanes(ADD)} leaves the
     * order open, and the interpreter and the JIT do add in different orders, so results would change
     * in the last bits once a method is compiled; this makes every run bit-for-bit reproducible.
     */
    static float sum(FloatVector v) {
        for (VectorShuffle<Float> f : FOLD_F) v = v.add(v.rearrange(f));
        return v.lane(0);
    }

    static double sum(DoubleVector v) {
        for (VectorShuffle<Double> f : FOLD_D) v = v.add(v.rearrange(f));
        return v.lane(0);
    }
}
