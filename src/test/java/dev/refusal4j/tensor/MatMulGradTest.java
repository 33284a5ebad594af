package dev.refusal4j.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The backward products against plain double-precision loops, on sizes that exercise every tail. */
class MatMulGradTest {
    static float[] random(int n, SplittableRandom r) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @Test
    void inputAndWeightGradientsMatchNaiveProducts() {
        SplittableRandom r = new SplittableRandom(1);
        int[][] sizes = {{1, 1, 1}, {7, 5, 3}, {13, 37, 24}, {50, 16, 33}, {64, 96, 128}, {300, 17, 9}};
        for (int[] s : sizes) {
            int M = s[0], N = s[1], K = s[2];
            float[] dY = random(M * N, r), x = random(M * K, r), w = random(3 + N * K, r);
            for (boolean acc : new boolean[] {false, true}) {
                float[] dX = random(M * K, r), dX0 = dX.clone();
                MatMulGrad.inputGrad(dY, M, w, 3, N, K, dX, acc);
                for (int m = 0; m < M; m++) {
                    for (int k = 0; k < K; k++) {
                        double e = acc ? dX0[m * K + k] : 0;
                        for (int n = 0; n < N; n++) e += (double) dY[m * N + n] * w[3 + n * K + k];
                        assertThat((double) dX[m * K + k]).as("dX %dx%dx%d acc=%s", M, N, K, acc).isCloseTo(e, org.assertj.core.data.Offset.offset(1e-5 * (N + 1)));
                    }
                }
                float[] dW = random(5 + N * K, r), dW0 = dW.clone();
                MatMulGrad.weightGrad(dY, x, M, N, K, dW, 5, acc);
                for (int i = 0; i < 5; i++) assertThat(dW[i]).isEqualTo(dW0[i]); // before the offset: untouched
                for (int n = 0; n < N; n++) {
                    for (int k = 0; k < K; k++) {
                        double e = acc ? dW0[5 + n * K + k] : 0;
                        for (int m = 0; m < M; m++) e += (double) dY[m * N + n] * x[m * K + k];
                        assertThat((double) dW[5 + n * K + k]).as("dW %dx%dx%d acc=%s", M, N, K, acc).isCloseTo(e, org.assertj.core.data.Offset.offset(1e-5 * (M + 1)));
                    }
                }
            }
        }
    }
}
