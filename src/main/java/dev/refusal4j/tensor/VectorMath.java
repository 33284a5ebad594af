package dev.refusal4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Elementary functions on float vectors, for the activation and softmax loops. */
public final class VectorMath {
    static final VectorSpecies<Float> S = Species.F;

    private VectorMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f; // few significant bits, so n * LN2_HI is exact
    private static final float LN2_LO = -2.12194440e-4f; // ln 2 - LN2_HI
    private static final float ROUNDER = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer
    private static final float MAX_X = 88.72283905f; // above: e^x overflows float
    private static final float MIN_X = -103.972077f; // below: e^x is under half the smallest subnormal

    /**
     * e^x per lane, within about 1 ulp of the exactly rounded value over the whole float range
     * (subnormal results included; +Inf above {@link #MAX_X}, 0 below {@link #MIN_X}, NaN stays
     * NaN). Range reduction x = n ln2 + r with a two-part ln2, then Cephes' degree-6 polynomial for
     * e^r on |r| ≤ ln2/2, then two exact power-of-two scalings so that 2^n never overflows an exponent field.
     */
    public static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> s = x.species();
        FloatVector xc = x.max(MIN_X).min(MAX_X);
        FloatVector n = xc.mul(LOG2E).add(ROUNDER).sub(ROUNDER);
        FloatVector r = xc.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
        p = p.fma(r, FloatVector.broadcast(s, 8.3334519073E-3f));
        p = p.fma(r, FloatVector.broadcast(s, 4.1665795894E-2f));
        p = p.fma(r, FloatVector.broadcast(s, 1.6666665459E-1f));
        p = p.fma(r, FloatVector.broadcast(s, 5.0000001201E-1f));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = y.mul(s1).mul(s2);
        return e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, MAX_X))
                .blend(0f, x.compare(VectorOperators.LT, MIN_X));
    }

    /** v / (1 + e^-v): x·sigmoid(x), with the same accuracy as {@link #exp}. */
    public static FloatVector silu(FloatVector v) {
        return v.div(exp(v.neg()).add(1f));
    }

    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

    /**
     * GELU with the tanh approximation, written as v · sigmoid(2z), z = √(2/π)(v + 0.044715 v³),
     * which equals 0.5 v (1 + tanh z) without the cancellation of 1 + tanh z for negative v.
     */
    public static FloatVector geluTanh(FloatVector v) {
        FloatVector z = v.mul(v).mul(v).mul(0.044715f).add(v).mul(-2f * SQRT_2_OVER_PI);
        return v.div(exp(z).add(1f));
    }
}
