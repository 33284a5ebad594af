package dev.refusal4j.tensor;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector shapes every kernel uses: the CPU's preferred width, or {@code -Drefusal4j.vectorBits=N}
 * (128, 256, 512) to run the same code at another width, e.g. to test the AVX-512 tiling on an AVX2
 * machine (widths the CPU lacks run correctly but slowly, emulated by the JDK).
 */
final class Species {
    static final VectorShape SHAPE = shape();
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, SHAPE);
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, SHAPE);
    static final VectorSpecies<Double> D = VectorSpecies.of(double.class, SHAPE);
    /** Shorts at half the width, so that widening one vector of them fills one float vector. */
    static final VectorSpecies<Short> HALF_SHORTS = VectorSpecies.of(short.class, VectorShape.forBitSize(SHAPE.vectorBitSize() / 2));

    private Species() {}

    private static VectorShape shape() {
        Integer bits = Integer.getInteger("refusal4j.vectorBits");
        return bits == null ? VectorShape.preferredShape() : VectorShape.forBitSize(bits);
    }
}
