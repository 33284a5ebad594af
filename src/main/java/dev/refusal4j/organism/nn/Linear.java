package dev.refusal4j.organism.nn;

import dev.refusal4j.tensor.MatMul;
import dev.refusal4j.tensor.MatMulGrad;

/**
 * A bias-free linear layer, forward and backward, on the inference matmul kernel.
 * <pre>
 *   x [M, K], W [N, K] → y [M, N] = x · Wᵀ
 *   dx (+)= dy · W          [M, K]
 *   dW  += dyᵀ · x          [N, K]
 * </pre>
 */
final class Linear {
    private Linear() {}

    static void forward(float[] x, int M, Params p, Params.Tensor w, float[] y) {
        MatMul.matmul(x, 0, M, p.matrix(w), y, 0);
    }

    /** @param accumulateDx add to dx (when x feeds several layers) instead of overwriting it */
    static void backward(float[] dy, float[] x, int M, Params p, Params.Tensor w, float[] grads, float[] dx, boolean accumulateDx) {
        MatMulGrad.weightGrad(dy, x, M, w.rows(), w.cols(), grads, w.offset(), true);
        if (dx != null) MatMulGrad.inputGrad(dy, M, p.data, w.offset(), w.rows(), w.cols(), dx, accumulateDx);
    }
}
