package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.Ops;
import dev.refusal4j.tensor.Parallel;

import java.util.Arrays;

/**
 * Causal softmax attention with grouped-query heads over packed sequences, forward and backward.
 * <pre>
 *   q [B·T, H·hd], k, v [B·T, KV·hd], start [B·T] → z [B·T, H·hd], att [B, H, T, T]
 *   head h reads kv head h / (H/KV); row t of a sequence attends to slots start[t] .. t
 *   (start[t] = first slot of the chat packed at t, so packed chats never see each other)
 *   s_tj = scale · q_t·k_j,  p = softmax_j(s),  z_t = Σ_j p_tj v_j
 *   backward: dp_tj = dz_t·v_j,  ds_tj = p_tj (dp_tj − Σ_j p_tj dp_tj)
 *             dq_t = scale Σ_j ds_tj k_j,  dk_j += scale ds_tj q_t,  dv_j += p_tj dz_t
 * </pre>
 * Forward rounds as the inference kernel (float exponentials, double sum). Backward is split by
 * (sequence, kv head) so that each thread owns the dk, dv rows it adds into.
 */
final class Attention {
    private Attention() {}

    static void forward(float[] q, float[] k, float[] v, int[] start, float[] att, float[] z, int B, int T, Shape s) {
        final int H = s.heads(), hd = s.headDim(), qDim = s.qDim(), kvDim = s.kvDim(), group = H / s.kvHeads();
        final float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(B * H * T, 8, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                int t = i % T, h = (i / T) % H, b = i / (T * H);
                int r = b * T + t, g = h / group, lo = start[r];
                int qo = r * qDim + h * hd, ao = ((b * H + h) * T + t) * T;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = lo; j <= t; j++) {
                    float sc = Ops.dot(q, qo, k, (b * T + j) * kvDim + g * hd, hd) * scale;
                    att[ao + j] = sc;
                    if (sc > max) max = sc;
                }
                double sum = 0;
                for (int j = lo; j <= t; j++) {
                    float e = (float) Math.exp(att[ao + j] - max);
                    att[ao + j] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                Arrays.fill(z, qo, qo + hd, 0f);
                for (int j = lo; j <= t; j++) {
                    float p = att[ao + j] * inv;
                    att[ao + j] = p;
                    Ops.axpy(p, v, (b * T + j) * kvDim + g * hd, z, qo, hd);
                }
            }
        });
    }

    /** Overwrites dq, dk, dv. */
    static void backward(float[] dz, float[] q, float[] k, float[] v, int[] start, float[] att,
                         float[] dq, float[] dk, float[] dv, int B, int T, Shape s) {
        final int H = s.heads(), KV = s.kvHeads(), hd = s.headDim(), qDim = s.qDim(), kvDim = s.kvDim(), group = H / KV;
        final float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forRange(B * KV, 1, (i0, i1) -> {
            float[] dp = new float[T];
            for (int i = i0; i < i1; i++) {
                int b = i / KV, g = i % KV;
                for (int t = 0; t < T; t++) {
                    int kvo = (b * T + t) * kvDim + g * hd;
                    Arrays.fill(dk, kvo, kvo + hd, 0f);
                    Arrays.fill(dv, kvo, kvo + hd, 0f);
                }
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int t = 0; t < T; t++) {
                        int r = b * T + t, lo = start[r];
                        int qo = r * qDim + h * hd, ao = ((b * H + h) * T + t) * T;
                        Arrays.fill(dq, qo, qo + hd, 0f);
                        double sum = 0;
                        for (int j = lo; j <= t; j++) {
                            int jo = (b * T + j) * kvDim + g * hd;
                            dp[j] = Ops.dot(dz, qo, v, jo, hd);
                            sum += (double) att[ao + j] * dp[j];
                            Ops.axpy(att[ao + j], dz, qo, dv, jo, hd);
                        }
                        float fs = (float) sum;
                        for (int j = lo; j <= t; j++) {
                            int jo = (b * T + j) * kvDim + g * hd;
                            float ds = att[ao + j] * (dp[j] - fs) * scale;
                            Ops.axpy(ds, k, jo, dq, qo, hd);
                            Ops.axpy(ds, q, qo, dk, jo, hd);
                        }
                    }
                }
            }
        });
    }
}
