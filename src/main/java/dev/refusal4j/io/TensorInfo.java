package dev.refusal4j.io;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor entry of a safetensors header. {@code begin}/{@code end} are byte offsets relative to
 * the start of the data area, as in the file; {@code file} is the shard that holds it.
 */
public record TensorInfo(String name, String dtype, long[] shape, long begin, long end, Path file) {

    public long elements() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Bytes per element of a safetensors dtype name, or -1 when the name is unknown. */
    public static int dtypeBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> -1;
        };
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
