package dev.refusal4j.tensor.quant;

/** Little-endian fields of a block held in a byte array. */
final class Bytes {
    private Bytes() {}

    static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    static int i32(byte[] b, int i) {
        return u16(b, i) | u16(b, i + 2) << 16;
    }

    /** An IEEE half (ggml_half): exact, as ggml's GGML_FP16_TO_FP32, NaNs quieted as it does. */
    static float f16(byte[] b, int i) {
        return Float.float16ToFloat((short) u16(b, i));
    }
}
