package dev.refusal4j.tensor.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The tensor types of ggml ({@code enum ggml_type} in ggml.h): the number stored in a GGUF tensor
 * info, ggml's name, and the block layout — {@link #blockElements} weights in {@link #blockBytes}
 * bytes. A row of a tensor is a whole number of blocks. Numbers ggml has retired (4, 5, 31-33,
 * 36-38) are absent. The types with a decoder can be dequantized, bit for bit as ggml does.
 */
public enum GgmlType {
    F32(0, "f32", 1, 4, FloatRows::f32),
    F16(1, "f16", 1, 2, FloatRows::f16),
    Q4_0(2, "q4_0", 32, 18, BlockQ4_0::dequantize),
    Q4_1(3, "q4_1", 32, 20, BlockQ4_1::dequantize),
    Q5_0(6, "q5_0", 32, 22, BlockQ5_0::dequantize),
    Q5_1(7, "q5_1", 32, 24, BlockQ5_1::dequantize),
    Q8_0(8, "q8_0", 32, 34, BlockQ8_0::dequantize),
    Q8_1(9, "q8_1", 32, 36, null),
    Q2_K(10, "q2_K", 256, 84, BlockQ2_K::dequantize),
    Q3_K(11, "q3_K", 256, 110, BlockQ3_K::dequantize),
    Q4_K(12, "q4_K", 256, 144, BlockQ4_K::dequantize),
    Q5_K(13, "q5_K", 256, 176, BlockQ5_K::dequantize),
    Q6_K(14, "q6_K", 256, 210, BlockQ6_K::dequantize),
    Q8_K(15, "q8_K", 256, 292, null),
    IQ2_XXS(16, "iq2_xxs", 256, 66, null),
    IQ2_XS(17, "iq2_xs", 256, 74, null),
    IQ3_XXS(18, "iq3_xxs", 256, 98, null),
    IQ1_S(19, "iq1_s", 256, 50, null),
    IQ4_NL(20, "iq4_nl", 32, 18, null),
    IQ3_S(21, "iq3_s", 256, 110, null),
    IQ2_S(22, "iq2_s", 256, 82, null),
    IQ4_XS(23, "iq4_xs", 256, 136, null),
    I8(24, "i8", 1, 1, null),
    I16(25, "i16", 1, 2, null),
    I32(26, "i32", 1, 4, null),
    I64(27, "i64", 1, 8, null),
    F64(28, "f64", 1, 8, null),
    IQ1_M(29, "iq1_m", 256, 56, null),
    BF16(30, "bf16", 1, 2, FloatRows::bf16),
    TQ1_0(34, "tq1_0", 256, 54, null),
    TQ2_0(35, "tq2_0", 256, 66, null),
    MXFP4(39, "mxfp4", 32, 17, null),
    NVFP4(40, "nvfp4", 64, 36, null),
    Q1_0(41, "q1_0", 128, 18, null),
    Q2_0(42, "q2_0", 64, 18, null);

    private static final GgmlType[] BY_ID = new GgmlType[43];
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK_BYTES = 1 << 14; // blocks are copied off the mapping this many bytes at a time

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    /** The number GGUF stores. */
    public final int id;
    /** ggml's name (ggml_type_name): "q4_K", "bf16". */
    public final String ggmlName;
    public final int blockElements;
    public final int blockBytes;
    private final BlockDecoder decoder;

    GgmlType(int id, String ggmlName, int blockElements, int blockBytes, BlockDecoder decoder) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.decoder = decoder;
    }

    /** The type numbered {@code id}, or null when ggml has no such type (now). */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** Whether {@link #dequantizeRow} handles this type. */
    public boolean dequantizable() {
        return decoder != null;
    }

    /** The dequantizable types, by ggml name: what an error about another type lists. */
    public static String dequantizableNames() {
        return Arrays.stream(values()).filter(GgmlType::dequantizable).map(t -> t.ggmlName).collect(Collectors.joining(", "));
    }

    /** Bytes of {@code elements} weights, which must be a whole number of blocks (and not overflow). */
    public long bytes(long elements) {
        if (elements < 0 || elements % blockElements != 0) {
            throw new IllegalArgumentException(elements + " elements are not a whole number of " + ggmlName + " blocks of " + blockElements);
        }
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    /**
     * Dequantizes {@code n} weights (whole blocks) stored at {@code src[offset]} into
     * {@code dst[dstOffset..dstOffset+n)}, as ggml's {@code dequantize_row_*} / {@code to_float}.
     */
    public void dequantizeRow(MemorySegment src, long offset, float[] dst, int dstOffset, int n) {
        long total = checkRow(n, dst, dstOffset);
        if (this == F32) { // a bulk copy keeps every bit, signalling NaNs included
            MemorySegment.copy(src, F32_LE, offset, dst, dstOffset, n);
            return;
        }
        int perChunk = Math.max(1, CHUNK_BYTES / blockBytes);
        byte[] buf = new byte[(int) Math.min(total, (long) perChunk * blockBytes)];
        int blocks = n / blockElements;
        for (int first = 0; first < blocks; first += perChunk) {
            int count = Math.min(perChunk, blocks - first);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, offset + (long) first * blockBytes, buf, 0, count * blockBytes);
            for (int k = 0; k < count; k++) {
                decoder.dequantize(buf, k * blockBytes, dst, dstOffset + (first + k) * blockElements);
            }
        }
    }

    /** As {@link #dequantizeRow(MemorySegment, long, float[], int, int)}, from a byte array. */
    public void dequantizeRow(byte[] src, int offset, float[] dst, int dstOffset, int n) {
        long total = checkRow(n, dst, dstOffset);
        if (offset < 0 || offset + total > src.length) {
            throw new IndexOutOfBoundsException(ggmlName + ": " + total + " bytes at " + offset + " past the end of " + src.length);
        }
        for (int k = 0, blocks = n / blockElements; k < blocks; k++) {
            decoder.dequantize(src, offset + k * blockBytes, dst, dstOffset + k * blockElements);
        }
    }

    private long checkRow(int n, float[] dst, int dstOffset) {
        if (decoder == null) {
            throw new UnsupportedOperationException("ggml type " + ggmlName + " cannot be dequantized (supported: " + dequantizableNames() + ")");
        }
        if (dstOffset < 0 || n < 0 || dstOffset + (long) n > dst.length) {
            throw new IndexOutOfBoundsException(n + " floats at " + dstOffset + " do not fit " + dst.length);
        }
        return bytes(n);
    }
}
