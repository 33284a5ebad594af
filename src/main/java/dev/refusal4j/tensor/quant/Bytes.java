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

    /**
     * A float rounded to an IEEE half as ggml's GGML_FP32_TO_FP16 rounds it: to nearest even,
     * overflow to infinity, and every NaN the quiet NaN 0x7E00 with its sign (Java's
     * Float.floatToFloat16 keeps a NaN's payload bits; for every other float the two agree).
     */
    static short f16Bits(float v) {
        if (Float.isNaN(v)) return (short) ((Float.floatToRawIntBits(v) >>> 16 & 0x8000) | 0x7E00);
        return Float.floatToFloat16(v);
    }

    static void putU16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >>> 8);
    }

    static void putI32(byte[] b, int i, int v) {
        putU16(b, i, v);
        putU16(b, i + 2, v >>> 16);
    }

    /** Stores {@link #f16Bits}(v) and returns the half read back as ggml reads it (GGML_FP16_TO_FP32). */
    static float putF16(byte[] b, int i, float v) {
        short h = f16Bits(v);
        putU16(b, i, h);
        return Float.float16ToFloat(h);
    }

    /** An IEEE half (ggml_half): exact, as ggml's GGML_FP16_TO_FP32, NaNs quieted as it does. */
    static float f16(byte[] b, int i) {
        return Float.float16ToFloat((short) u16(b, i));
    }
}
