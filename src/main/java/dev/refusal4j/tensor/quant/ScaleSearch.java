package dev.refusal4j.tensor.quant;

/**
 * The scale searches that ggml's reference quantizers share (ggml-quants.c: {@code nearest_int},
 * {@code make_qx_quants}, {@code make_q3_quants}, {@code make_qkx2_quants}), in float arithmetic
 * done in the C source's order, one rounding per operation: ggml's reference data is computed
 * without fused multiply-adds, and Java never fuses, so the same order gives the same bits. An int
 * operand of a float operation is converted to float first, as C converts it.
 */
final class ScaleSearch {
    /** ggml's GROUP_MAX_EPS: a group whose largest magnitude is below it is all zero. */
    static final float GROUP_MAX_EPS = 1e-15f;

    private ScaleSearch() {}

    /**
     * ggml's {@code nearest_int}: adding 1.5·2²³ leaves the rounded integer (to nearest, ties to
     * even) in the low mantissa bits. Meant for |v| ≤ 2²²; for other values it returns whatever
     * those bits hold, as ggml does (its assert is compiled out).
     */
    static int nearestInt(float v) {
        int i = Float.floatToRawIntBits(v + 12582912f);
        return (i & 0x007FFFFF) - 0x00400000;
    }

    /**
     * A C conversion of a float to a narrow integer type as x86-64 compiles it (cvttss2si, then
     * the low bits kept): truncation toward zero, and the "integer indefinite" 0x80000000 for NaN
     * and values out of the int range (Java's (int) cast saturates instead).
     */
    static int truncate(float v) {
        if (!(Math.abs(v) < 2147483648f)) return Integer.MIN_VALUE;
        return (int) v;
    }

    /** The first of the n values with the largest magnitude, with its sign (0 when all are 0 or NaN). */
    static float largest(float[] x, int xo, int n) {
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[xo + i]);
            if (ax > amax) {
                amax = ax;
                max = x[xo + i];
            }
        }
        return max;
    }

    /** The smallest of the n values (+Float.MAX_VALUE when none is smaller, as for NaNs). */
    static float min(float[] x, int xo, int n) {
        float min = Float.MAX_VALUE;
        for (int i = 0; i < n; i++) if (x[xo + i] < min) min = x[xo + i];
        return min;
    }

    /** The largest of the n values (−Float.MAX_VALUE when none is larger). */
    static float max(float[] x, int xo, int n) {
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < n; i++) if (x[xo + i] > max) max = x[xo + i];
        return max;
    }

    static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * {@code make_qx_quants(n, nmax, x, L, rmse_type = 1, NULL)}, the only form the reference
     * quantizers use (Q6_K): symmetric levels L in 0..2·nmax−1 with weights x², the scale from a
     * search of 19 candidate inverse scales around −nmax / max. Returns the scale.
     */
    static float qxQuants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = largest(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float iscale = (float) -nmax / max;
        float[] sums = levelSums(n, nmax, x, xo, iscale, L, lo, nmax);
        float sumlx = sums[0], suml2 = sums[1];
        float scale = suml2 != 0 ? sumlx / suml2 : 0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -((float) nmax + 0.1f * is) / max;
            sums = levelSums(n, nmax, x, xo, iscale, null, 0, 0);
            sumlx = sums[0];
            suml2 = sums[1];
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) L[lo + i] = nmax + clamp(nearestInt(iscale * x[xo + i]), -nmax, nmax - 1);
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * The symmetric levels l = clamp(nearest(iscale·x), −nmax, nmax − 1) and the x²-weighted sums
     * Σ x²·x·l and Σ x²·l² of make_qx_quants and make_q3_quants; the levels plus {@code offset}
     * go to {@code L} unless it is null.
     */
    private static float[] levelSums(int n, int nmax, float[] x, int xo, float iscale, int[] L, int lo, int offset) {
        float sumlx = 0, suml2 = 0;
        for (int i = 0; i < n; i++) {
            float xi = x[xo + i];
            int l = clamp(nearestInt(iscale * xi), -nmax, nmax - 1);
            if (L != null) L[lo + i] = l + offset;
            float w = xi * xi;
            sumlx += w * xi * l;
            suml2 += w * l * l;
        }
        return new float[] {sumlx, suml2};
    }

    /**
     * {@code make_q3_quants(n, nmax, x, L, do_rmse = true)} (Q3_K): symmetric levels in
     * 0..2·nmax−1, then up to five passes that move one level at a time while the x²-weighted fit
     * improves. Returns the scale.
     */
    static float q3Quants(int n, int nmax, float[] x, int xo, int[] L, int lo) {
        float max = largest(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            return 0f;
        }
        float[] sums = levelSums(n, nmax, x, xo, (float) -nmax / max, L, lo, 0);
        float sumlx = sums[0], suml2 = sums[1];
        for (int itry = 0; itry < 5; itry++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float xi = x[xo + i];
                float w = xi * xi;
                float slx = sumlx - w * xi * L[lo + i];
                if (slx > 0) {
                    float sl2 = suml2 - w * L[lo + i] * L[lo + i];
                    int newL = clamp(nearestInt(xi * sl2 / slx), -nmax, nmax - 1);
                    if (newL != L[lo + i]) {
                        slx += w * xi * newL;
                        sl2 += w * newL * newL;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            L[lo + i] = newL;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) break;
        }
        for (int i = 0; i < n; i++) L[lo + i] += nmax;
        return suml2 > 0f ? sumlx / suml2 : 0f;
    }

    /**
     * {@code make_qkx2_quants} (Q2_K, Q4_K, Q5_K): asymmetric levels L in 0..nmax with x ≈ scale·L
     * − min, min ≥ 0, fitted by weighted least squares over nstep + 1 candidate inverse scales
     * (rmin + rdelta·is + nmax) / (max − min); squared or, with {@code mad}, absolute errors.
     * Returns the scale; {@code mins[mo]} receives the min.
     *
     * @param aux scratch of n levels (ggml's Laux)
     */
    static float qkx2Quants(int n, int nmax, float[] x, int xo, float[] weights, int[] L, int lo, float[] mins, int mo, int[] aux,
                            float rmin, float rdelta, int nstep, boolean mad) {
        float min = x[xo], max = x[xo];
        float sumW = weights[0];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float xi = x[xo + i];
            if (xi < min) min = xi;
            if (xi > max) max = xi;
            float w = weights[i];
            sumW += w;
            sumX += w * xi;
        }
        if (min > 0) min = 0;
        if (max == min) {
            for (int i = 0; i < n; i++) L[lo + i] = 0;
            mins[mo] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            int l = nearestInt(iscale * (x[xo + i] - min));
            L[lo + i] = clamp(l, 0, nmax);
            float diff = scale * L[lo + i] + min - x[xo + i];
            diff = mad ? Math.abs(diff) : diff * diff;
            bestError += weights[i] * diff;
        }
        if (nstep < 1) {
            mins[mo] = -min;
            return scale;
        }
        for (int is = 0; is <= nstep; is++) {
            iscale = (rmin + rdelta * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = clamp(nearestInt(iscale * (x[xo + i] - min)), 0, nmax);
                aux[i] = l;
                float w = weights[i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = mad ? Math.abs(diff) : diff * diff;
                    error += weights[i] * diff;
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, L, lo, n);
                    bestError = error;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        mins[mo] = -min;
        return scale;
    }

    /**
     * Packs 2-bit levels as Q2_K and Q3_K store them: in each half of 128 weights, bits 2i..2i+1
     * of byte l hold weight 32i + l.
     */
    static void pack2(int[] L, byte[] b, int o) {
        for (int j = 0; j < 256; j += 128) {
            for (int l = 0; l < 32; l++) {
                b[o + j / 4 + l] = (byte) (L[j + l] | L[j + l + 32] << 2 | L[j + l + 64] << 4 | L[j + l + 96] << 6);
            }
        }
    }
}
