package dev.refusal4j.testutil;

import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * Valid ggml blocks of random content, seeded: every quant byte random (so every nibble and bit
 * pattern occurs), and the f16 scales drawn so that the weights have about the standard deviation
 * asked for, positive and negative (ggml's quantizers write negative scales too). For kernels'
 * tests and for random-weight models whose speed, not quality, is measured.
 */
public final class RandomBlocks {
    private RandomBlocks() {}

    /** {@code count} blocks of {@code t} whose weights have a standard deviation of about {@code std}. */
    public static byte[] blocks(DType t, int count, double std, SplittableRandom r) {
        byte[] b = new byte[Math.multiplyExact(count, t.blockBytes)];
        r.nextBytes(b);
        for (int k = 0; k < count; k++) {
            int o = k * t.blockBytes;
            // |q| of about 74 (Q8_0), 4.6 (Q4_0), 9.2 (Q5_0), 321 (Q4_K: six-bit scale times nibble), 1367 (Q6_K: int8 scale times q − 32)
            switch (t) {
                case Q8_0 -> f16(b, o, signed(r) * std / 74);
                case Q4_0 -> f16(b, o, signed(r) * std / 4.6);
                case Q5_0 -> f16(b, o, signed(r) * std / 9.2);
                case Q4_K -> {
                    double d = std / 321 * (0.5 + r.nextDouble());
                    f16(b, o, d);
                    f16(b, o + 2, d * 7.5 * r.nextDouble()); // dmin: subtracts up to about the mean of s·q
                }
                case Q6_K -> f16(b, o + 208, signed(r) * std / 1367);
                default -> throw new IllegalArgumentException(t + " is not a block type");
            }
        }
        return b;
    }

    /** A [rows, cols] matrix of random blocks in native memory. */
    public static Matrix matrix(DType t, int rows, int cols, double std, long seed) {
        byte[] b = blocks(t, Math.toIntExact(rows * t.bytes(cols) / t.blockBytes), std, new SplittableRandom(seed));
        MemorySegment seg = Arena.ofAuto().allocate(b.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, seg, 0, b.length);
        return new Matrix(seg, t, rows, cols);
    }

    /** A scale between 0.5 and 1.5, either sign. */
    private static double signed(SplittableRandom r) {
        return (r.nextBoolean() ? 1 : -1) * (0.5 + r.nextDouble());
    }

    private static void f16(byte[] b, int o, double v) {
        short h = Float.floatToFloat16((float) v);
        b[o] = (byte) h;
        b[o + 1] = (byte) (h >> 8);
    }
}
