package dev.refusal4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Softmax attention for a block of queries that read the same key/value head, one query per vector
 * lane: scores q·k for every key of the block's range, the softmax along the keys, and the weighted
 * sum of values. Each query lane sees its own range of keys (causal mask, left padding, sliding
 * window); keys outside it get probability exactly 0, so a query's result does not depend on which
 * other queries share its block.
 *
 * <p>Queries in lanes turn both products into broadcasts and FMAs with no horizontal sum: a key's
 * scores for all lanes are Σ_d k[d]·qᵀ[d], a value's contribution Σ_j v_j[d]·p[j]. A dot product
 * per query and key would end each key with a reduction across lanes, which costs more than the
 * multiply-adds of a 64-wide head. Per-lane order of every sum is fixed (keys ascending, dimensions
 * ascending), so results are the same bit for bit whatever the batch and the thread count.
 *
 * <p>One instance per thread ({@link #get}); filled with {@link #add}, computed by {@link #run}.
 */
public final class AttentionBlock {
    private static final VectorSpecies<Float> S = Species.F;
    /** Queries a block holds: the float vector's lanes. */
    public static final int LANES = S.length();
    private static final ThreadLocal<AttentionBlock> TL = ThreadLocal.withInitial(AttentionBlock::new);

    private final int[] qOff = new int[LANES], zOff = new int[LANES], patternOff = new int[LANES];
    private final int[] first = new int[LANES], last = new int[LANES];
    private final float[] firstF = new float[LANES], lastF = new float[LANES];
    private final float[] lane = new float[LANES];
    private int lanes;
    private float[] qt = new float[0]; // [d][lane]: the queries transposed
    private float[] p = new float[0];  // [key][lane]: scores, then probabilities

    private AttentionBlock() {}

    /** This thread's block, emptied. */
    public static AttentionBlock get() {
        AttentionBlock b = TL.get();
        b.lanes = 0;
        return b;
    }

    /** Queries added so far. */
    public int size() {
        return lanes;
    }

    /**
     * Adds a query: its row at {@code q[qOffset..]}, its output at {@code z[zOffset..]}, the keys
     * {@code firstKey..lastKey} it sees (none when {@code firstKey > lastKey}: its output is 0), and
     * where its probabilities go in the pattern ({@code pattern[patternOffset + key]}) when one is asked.
     */
    public void add(int qOffset, int zOffset, int firstKey, int lastKey, int patternOffset) {
        if (lanes == LANES) throw new IllegalStateException("block is full: " + LANES + " queries");
        qOff[lanes] = qOffset;
        zOff[lanes] = zOffset;
        first[lanes] = firstKey;
        last[lanes] = lastKey;
        patternOff[lanes] = patternOffset;
        lanes++;
    }

    /**
     * z = Σ_j softmax_j(s_j) v_j for every query of the block, with s_j = scale · q·k_j, or
     * {@code softcap}·tanh(s_j / softcap) when {@code softcap > 0}. Key j of this head is
     * {@code K[kvOff + j·stride ..+ hd]}, its value {@code V[kvOff + j·stride ..+ hd]}.
     *
     * @param pattern where probabilities are written (keys outside a query's range get 0), or null
     */
    public void run(float[] q, float[] K, float[] V, int kvOff, int stride, int hd, float scale, float softcap, float[] z, float[] pattern) {
        int jlo = Integer.MAX_VALUE, jhi = -1;
        for (int l = 0; l < LANES; l++) {
            boolean any = l < lanes && first[l] <= last[l];
            // a lane without keys masks every key: first above last
            firstF[l] = any ? first[l] : Float.MAX_VALUE;
            lastF[l] = any ? last[l] : -1f;
            if (any) {
                jlo = Math.min(jlo, first[l]);
                jhi = Math.max(jhi, last[l]);
            }
        }
        if (jhi < 0) {
            for (int l = 0; l < lanes; l++) Arrays.fill(z, zOff[l], zOff[l] + hd, 0f);
            return;
        }
        int keys = jhi - jlo + 1;
        if (qt.length < hd * LANES) qt = new float[hd * LANES];
        if (p.length < keys * LANES) p = new float[Math.max(keys * LANES, 2 * p.length)];
        for (int l = 0; l < LANES; l++) {
            if (l < lanes) for (int d = 0; d < hd; d++) qt[d * LANES + l] = q[qOff[l] + d];
            else for (int d = 0; d < hd; d++) qt[d * LANES + l] = 0f;
        }
        FloatVector lo = FloatVector.fromArray(S, firstF, 0), hi = FloatVector.fromArray(S, lastF, 0);
        FloatVector max = scores(K, kvOff, stride, hd, scale, softcap, jlo, keys, lo, hi);
        max = max.blend(0f, max.compare(VectorOperators.EQ, Float.NEGATIVE_INFINITY)); // no keys: every e^(−∞ − 0) is 0
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < keys; j++) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, p, j * LANES).sub(max));
            e.intoArray(p, j * LANES);
            sum = sum.add(e);
        }
        FloatVector inv = FloatVector.broadcast(S, 1f).div(sum);
        inv = inv.blend(0f, sum.compare(VectorOperators.EQ, 0f));
        for (int j = 0; j < keys; j++) FloatVector.fromArray(S, p, j * LANES).mul(inv).intoArray(p, j * LANES);
        if (pattern != null) {
            for (int l = 0; l < lanes; l++) for (int j = 0; j < keys; j++) pattern[patternOff[l] + jlo + j] = p[j * LANES + l];
        }
        values(V, kvOff, stride, hd, z, jlo, keys);
    }

    /** Scores of keys jlo.. into p, masked to −∞ outside each lane's range; returns each lane's maximum. */
    private FloatVector scores(float[] K, int kvOff, int stride, int hd, float scale, float softcap, int jlo, int keys,
                               FloatVector lo, FloatVector hi) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int j = 0;
        for (; j + 4 <= keys; j += 4) {
            int k0 = kvOff + (jlo + j) * stride, k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < hd; d++) {
                FloatVector qv = FloatVector.fromArray(S, qt, d * LANES);
                a0 = qv.fma(FloatVector.broadcast(S, K[k0 + d]), a0);
                a1 = qv.fma(FloatVector.broadcast(S, K[k1 + d]), a1);
                a2 = qv.fma(FloatVector.broadcast(S, K[k2 + d]), a2);
                a3 = qv.fma(FloatVector.broadcast(S, K[k3 + d]), a3);
            }
            max = max.max(finish(a0, jlo + j, scale, softcap, lo, hi, j));
            max = max.max(finish(a1, jlo + j + 1, scale, softcap, lo, hi, j + 1));
            max = max.max(finish(a2, jlo + j + 2, scale, softcap, lo, hi, j + 2));
            max = max.max(finish(a3, jlo + j + 3, scale, softcap, lo, hi, j + 3));
        }
        for (; j < keys; j++) {
            int k0 = kvOff + (jlo + j) * stride;
            FloatVector a0 = FloatVector.zero(S);
            for (int d = 0; d < hd; d++) a0 = FloatVector.fromArray(S, qt, d * LANES).fma(FloatVector.broadcast(S, K[k0 + d]), a0);
            max = max.max(finish(a0, jlo + j, scale, softcap, lo, hi, j));
        }
        return max;
    }

    /** Scales (and caps) one key's scores, masks the lanes that do not see key {@code key}, stores them at row {@code row} of p. */
    private FloatVector finish(FloatVector dot, int key, float scale, float softcap, FloatVector lo, FloatVector hi, int row) {
        FloatVector s = dot.mul(scale);
        if (softcap > 0) s = tanh(s.div(softcap)).mul(softcap);
        FloatVector kv = FloatVector.broadcast(S, (float) key);
        VectorMask<Float> hidden = kv.compare(VectorOperators.LT, lo).or(kv.compare(VectorOperators.GT, hi));
        s = s.blend(Float.NEGATIVE_INFINITY, hidden);
        s.intoArray(p, row * LANES);
        return s;
    }

    /** tanh x = 1 − 2 / (e^{2x} + 1): exact at ±∞, and within float rounding of the scores it caps. */
    private static FloatVector tanh(FloatVector x) {
        return FloatVector.broadcast(S, 1f).sub(FloatVector.broadcast(S, 2f).div(VectorMath.exp(x.mul(2f)).add(1f)));
    }

    /** z of every lane = Σ_j p[j] v_j, eight dimensions at a time. */
    private void values(float[] V, int kvOff, int stride, int hd, float[] z, int jlo, int keys) {
        int d0 = 0;
        for (; d0 + 8 <= hd; d0 += 8) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int j = 0; j < keys; j++) {
                FloatVector pv = FloatVector.fromArray(S, p, j * LANES);
                int v = kvOff + (jlo + j) * stride + d0;
                a0 = pv.fma(FloatVector.broadcast(S, V[v]), a0);
                a1 = pv.fma(FloatVector.broadcast(S, V[v + 1]), a1);
                a2 = pv.fma(FloatVector.broadcast(S, V[v + 2]), a2);
                a3 = pv.fma(FloatVector.broadcast(S, V[v + 3]), a3);
                a4 = pv.fma(FloatVector.broadcast(S, V[v + 4]), a4);
                a5 = pv.fma(FloatVector.broadcast(S, V[v + 5]), a5);
                a6 = pv.fma(FloatVector.broadcast(S, V[v + 6]), a6);
                a7 = pv.fma(FloatVector.broadcast(S, V[v + 7]), a7);
            }
            store(a0, z, d0);
            store(a1, z, d0 + 1);
            store(a2, z, d0 + 2);
            store(a3, z, d0 + 3);
            store(a4, z, d0 + 4);
            store(a5, z, d0 + 5);
            store(a6, z, d0 + 6);
            store(a7, z, d0 + 7);
        }
        for (; d0 < hd; d0++) {
            FloatVector a0 = FloatVector.zero(S);
            for (int j = 0; j < keys; j++) a0 = FloatVector.fromArray(S, p, j * LANES).fma(FloatVector.broadcast(S, V[kvOff + (jlo + j) * stride + d0]), a0);
            store(a0, z, d0);
        }
    }

    /** Dimension d of every lane's output. */
    private void store(FloatVector v, float[] z, int d) {
        v.intoArray(lane, 0);
        for (int l = 0; l < lanes; l++) z[zOff[l] + d] = lane[l];
    }
}
