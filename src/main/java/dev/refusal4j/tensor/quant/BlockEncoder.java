package dev.refusal4j.tensor.quant;

/** Turns the floats of one block of a ggml type, at {@code src[srcOffset]}, into its bytes at {@code dst[dstOffset]}. */
@FunctionalInterface
interface BlockEncoder {
    void quantize(float[] src, int srcOffset, byte[] dst, int dstOffset);
}
