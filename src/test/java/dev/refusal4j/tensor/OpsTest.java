package dev.refusal4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** Vectorised row operations against float64 formulas, on lengths that leave scalar tails. */
class OpsTest {
    private static final int[] LENGTHS = {1, 5, 8, 17, 64, 100, 896, 1031};

    private static float[] gaussian(Random rnd, int n, double sd) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * sd);
        return a;
    }

    private static float ulpError(float got, double exact) {
        return (float) (Math.abs(got - exact) / Math.ulp((float) exact));
    }

    @Test
    void vectorExpIsWithinTwoUlpOverTheWholeRange() {
        int L = Species.F.length();
        float[] in = new float[L], out = new float[L];
        float worst = 0;
        float worstAt = 0;
        // every 61st float bit pattern between -104 and 89 (about 8 million values, both signs)
        for (int sign = 0; sign < 2; sign++) {
            int limit = Float.floatToRawIntBits(sign == 0 ? 89f : 104f);
            for (int bits = 0; bits < limit; bits += 61 * L) {
                for (int j = 0; j < L; j++) in[j] = Float.intBitsToFloat(bits + 61 * j) * (sign == 0 ? 1 : -1);
                VectorMath.exp(FloatVector.fromArray(Species.F, in, 0)).intoArray(out, 0);
                for (int j = 0; j < L; j++) {
                    double exact = Math.exp(in[j]);
                    if (exact > Float.MAX_VALUE) { assertThat(out[j]).as("e^%s", in[j]).isEqualTo(Float.POSITIVE_INFINITY); continue; }
                    if (exact < Float.MIN_NORMAL) { assertThat(Math.abs(out[j] - exact)).as("e^%s", in[j]).isLessThanOrEqualTo(Float.MIN_VALUE); continue; }
                    float e = ulpError(out[j], exact);
                    if (e > worst) { worst = e; worstAt = in[j]; }
                }
            }
        }
        System.out.printf("vector exp: worst error %.2f ulp at x=%s%n", worst, worstAt);
        assertThat(worst).as("worst ulp error, at x=%s", worstAt).isLessThanOrEqualTo(2f);
    }

    @Test
    void vectorExpSpecialValues() {
        int L = Species.F.length();
        float[] in = new float[L], out = new float[L];
        float[] specials = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, 1f, -200f, 200f};
        for (int s = 0; s < specials.length; s++) in[s % L] = specials[s];
        for (int start = 0; start < specials.length; start += L) {
            for (int j = 0; j < L; j++) in[j] = specials[Math.min(specials.length - 1, start + j)];
            VectorMath.exp(FloatVector.fromArray(Species.F, in, 0)).intoArray(out, 0);
            for (int j = 0; j < L; j++) {
                float x = in[j];
                if (Float.isNaN(x)) assertThat(out[j]).isNaN();
                else assertThat(out[j]).as("e^%s", x).isEqualTo((float) Math.exp(x));
            }
        }
    }

    @Test
    void rmsNormMatchesFloat64ForBothWeightConventions() {
        Random rnd = new Random(6);
        for (int n : LENGTHS) {
            int rows = 3;
            float[] x = gaussian(rnd, rows * n + 2, 3), w = gaussian(rnd, n, 1), out = new float[rows * n + 1];
            for (boolean plusOne : new boolean[] {false, true}) {
                Ops.rmsNorm(x, 2, out, 1, rows, n, w, 1e-6f, plusOne);
                for (int r = 0; r < rows; r++) {
                    double ss = 0;
                    for (int i = 0; i < n; i++) ss += (double) x[2 + r * n + i] * x[2 + r * n + i];
                    double inv = 1 / Math.sqrt(ss / n + 1e-6);
                    for (int i = 0; i < n; i++) {
                        double want = x[2 + r * n + i] * inv * (plusOne ? 1 + (double) w[i] : w[i]);
                        assertThat((double) out[1 + r * n + i]).isCloseTo(want, within(4e-7 * Math.abs(want) + 1e-37));
                    }
                }
            }
        }
    }

    @Test
    void gatedActivationsMatchFloat64() {
        Random rnd = new Random(7);
        for (int n : LENGTHS) {
            float[] gate = gaussian(rnd, n + 1, 6), up = gaussian(rnd, n + 2, 1);
            gate[1] = -95f; // e^-v overflows float: silu must be -0, not NaN
            float[] silu = gate.clone(), gelu = gate.clone();
            Ops.siluMul(silu, 1, up, 2, n);
            Ops.geluTanhMul(gelu, 1, up, 2, n);
            for (int i = 0; i < n; i++) {
                double v = gate[1 + i], u = up[2 + i];
                double s = v / (1 + Math.exp(-v)) * u;
                // 0.5 v (1 + tanh z) written as v / (1 + e^-2z): in double, 1 + tanh z cancels to 0 for z < -19
                double g = v / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))) * u;
                // the exponent's argument is rounded to float first: relative error grows with its size
                double arg = Math.abs(v) * (1 + 0.09 * v * v);
                assertThat((double) silu[1 + i]).as("silu %s", v).isCloseTo(s, within((1e-6 + 1.2e-7 * Math.abs(v)) * Math.abs(s) + 1e-37));
                assertThat((double) gelu[1 + i]).as("gelu %s", v).isCloseTo(g, within((1e-6 + 1.2e-7 * arg) * Math.abs(g) + 1e-37));
            }
            assertThat(silu[0]).isEqualTo(gate[0]);
        }
    }

    @Test
    void dotAxpyAddMatchFloat64() {
        Random rnd = new Random(8);
        for (int n : LENGTHS) {
            float[] a = gaussian(rnd, n + 3, 1), b = gaussian(rnd, n + 1, 1);
            double want = 0, abs = 0;
            for (int i = 0; i < n; i++) { want += (double) a[3 + i] * b[1 + i]; abs += Math.abs((double) a[3 + i] * b[1 + i]); }
            assertThat((double) Ops.dot(a, 3, b, 1, n)).isCloseTo(want, within(n * 1e-7 * abs + 1e-30));

            float[] y = b.clone();
            Ops.axpy(0.75f, a, 3, y, 1, n);
            for (int i = 0; i < n; i++) assertThat(y[1 + i]).isEqualTo(Math.fma(0.75f, a[3 + i], b[1 + i]));
            assertThat(y[0]).isEqualTo(b[0]);

            float[] r = a.clone(), x = gaussian(rnd, n + 3, 1);
            Ops.add(x, r, n + 3);
            for (int i = 0; i < n + 3; i++) assertThat(r[i]).isEqualTo(a[i] + x[i]);
        }
    }
}
