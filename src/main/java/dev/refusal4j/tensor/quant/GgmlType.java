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
    F32(0, "f32", 1, 4, FloatRows::f32, FloatRows::toF32),
    F16(1, "f16", 1, 2, FloatRows::f16, FloatRows::toF16),
    Q4_0(2, "q4_0", 32, 18, BlockQ4_0::dequantize, BlockQ4_0::quantize),
    Q4_1(3, "q4_1", 32, 20, BlockQ4_1::dequantize, BlockQ4_1::quantize),
    Q5_0(6, "q5_0", 32, 22, BlockQ5_0::dequantize, BlockQ5_0::quantize),
    Q5_1(7, "q5_1", 32, 24, BlockQ5_1::dequantize, BlockQ5_1::quantize),
    Q8_0(8, "q8_0", 32, 34, BlockQ8_0::dequantize, BlockQ8_0::quantize),
    Q8_1(9, "q8_1", 32, 36, null, null),
    Q2_K(10, "q2_K", 256, 84, BlockQ2_K::dequantize, BlockQ2_K::quantize),
    Q3_K(11, "q3_K", 256, 110, BlockQ3_K::dequantize, BlockQ3_K::quantize),
    Q4_K(12, "q4_K", 256, 144, BlockQ4_K::dequantize, BlockQ4_K::quantize),
    Q5_K(13, "q5_K", 256, 176, BlockQ5_K::dequantize, BlockQ5_K::quantize),
    Q6_K(14, "q6_K", 256, 210, BlockQ6_K::dequantize, BlockQ6_K::quantize),
    Q8_K(15, "q8_K", 256, 292, null, null),
    IQ2_XXS(16, "iq2_xxs", 256, 66, null, null),
    IQ2_XS(17, "iq2_xs", 256, 74, null, null),
    IQ3_XXS(18, "iq3_xxs", 256, 98, null, null),
    IQ1_S(19, "iq1_s", 256, 50, null, null),
    IQ4_NL(20, "iq4_nl", 32, 18, null, null),
    IQ3_S(21, "iq3_s", 256, 110, null, null),
    IQ2_S(22, "iq2_s", 256, 82, null, null),
    IQ4_XS(23, "iq4_xs", 256, 136, null, null),
    I8(24, "i8", 1, 1, null, null),
    I16(25, "i16", 1, 2, null, null),
    I32(26, "i32", 1, 4, null, null),
    I64(27, "i64", 1, 8, null, null),
    F64(28, "f64", 1, 8, null, null),
    IQ1_M(29, "iq1_m", 256, 56, null, null),
    BF16(30, "bf16", 1, 2, FloatRows::bf16, FloatRows::toBf16),
    TQ1_0(34, "tq1_0", 256, 54, null, null),
    TQ2_0(35, "tq2_0", 256, 66, null, null),
    MXFP4(39, "mxfp4", 32, 17, null, null),
    NVFP4(40, "nvfp4", 64, 36, null, null),
    Q1_0(41, "q1_0", 128, 18, null, null),
    Q2_0(42, "q2_0", 64, 18, null, null);

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
    private final BlockEncoder encoder;

    GgmlType(int id, String ggmlName, int blockElements, int blockBytes, BlockDecoder decoder, BlockEncoder encoder) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.decoder = decoder;
        this.encoder = encoder;
    }

    /** The type numbered {@code id}, or null when ggml has no such type (now). */
    public static GgmlType byId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** Whether {@link #dequantizeRow} handles this type. */
    public boolean dequantizable() {
        return decoder != null;
    }

    /** Whether {@link #quantizeRow} handles this type: every dequantizable type. */
    public boolean quantizable() {
        return encoder != null;
    }

    /** The type whose ggml name is {@code name} (case-insensitive: "Q4_K", "q8_0"), or null. */
    public static GgmlType byName(String name) {
        for (GgmlType t : values()) if (t.ggmlName.equalsIgnoreCase(name)) return t;
        return null;
    }

    /**
     * Quantizes {@code n} floats (whole blocks) at {@code src[srcOffset]} into {@code dst[dstOffset..]},
     * as ggml's reference quantizer of the type ({@code quantize_row_*_ref}, the {@code
     * from_float_ref} of its type traits): the same bytes for the same floats.
     */
    public void quantizeRow(float[] src, int srcOffset, byte[] dst, int dstOffset, int n) {
        if (encoder == null) throw new UnsupportedOperationException("ggml type " + ggmlName + " cannot be quantized (supported: " + dequantizableNames() + ")");
        long total = bytes(n);
        if (srcOffset < 0 || n < 0 || srcOffset + (long) n > src.length) throw new IndexOutOfBoundsException(n + " floats at " + srcOffset + " past the end of " + src.length);
        if (dstOffset < 0 || dstOffset + total > dst.length) throw new IndexOutOfBoundsException(ggmlName + ": " + total + " bytes at " + dstOffset + " past the end of " + dst.length);
        for (int k = 0, blocks = n / blockElements; k < blocks; k++) {
            encoder.quantize(src, srcOffset + k * blockElements, dst, dstOffset + k * blockBytes);
        }
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
