package dev.refusal4j.tensor.quant;

/** Turns one block of a ggml type, at {@code src[srcOffset]}, into its floats at {@code dst[dstOffset]}. */
@FunctionalInterface
interface BlockDecoder {
    void dequantize(byte[] src, int srcOffset, float[] dst, int dstOffset);
}
