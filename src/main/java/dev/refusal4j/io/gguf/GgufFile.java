package dev.refusal4j.io.gguf;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The header of a GGUF file: metadata and tensor infos (tensor data is not read).
 *
 * <p>Metadata values are Java values: UINT8..INT32 as Integer (UINT32 as Long), UINT64/INT64 as
 * Long (UINT64 above 2^63 negative: read it with Long.toUnsignedString), FLOAT32 as Float, FLOAT64
 * as Double, BOOL as Boolean, STRING as String; arrays as int[] / long[] / float[] / double[] /
 * boolean[] / String[] by the same rule, arrays of arrays as Object[].
 *
 * @param types        each key's value type
 * @param elementTypes each array key's element type
 * @param alignment    general.alignment, or GGUF's default 32
 * @param dataOffset   absolute file offset of the tensor data section (aligned to the alignment)
 */
public record GgufFile(Path path, int version, Map<String, Object> metadata, Map<String, GgufType> types,
                       Map<String, GgufType> elementTypes, List<GgufTensorInfo> tensors, long alignment, long dataOffset) {

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    /** The value of a key, which must be present. */
    public Object get(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new GgufException(path + ": metadata key '" + key + "' is missing");
        return v;
    }

    public String string(String key) {
        return cast(key, String.class);
    }

    public String[] strings(String key) {
        return cast(key, String[].class);
    }

    public float[] floats(String key) {
        return cast(key, float[].class);
    }

    /** An integer array (any integer element type that fits in an int). */
    public int[] ints(String key) {
        Object v = get(key);
        if (v instanceof int[] a) return a;
        if (v instanceof long[] a) {
            int[] out = new int[a.length];
            for (int i = 0; i < a.length; i++) out[i] = Math.toIntExact(a[i]);
            return out;
        }
        throw wrongType(key, "an integer array");
    }

    public long integer(String key) {
        Object v = get(key);
        if (v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
        throw wrongType(key, "an integer");
    }

    public long integer(String key, long fallback) {
        return has(key) ? integer(key) : fallback;
    }

    public boolean bool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        return cast(key, Boolean.class);
    }

    private <T> T cast(String key, Class<T> type) {
        Object v = get(key);
        if (!type.isInstance(v)) throw wrongType(key, type.getSimpleName());
        return type.cast(v);
    }

    private GgufException wrongType(String key, String wanted) {
        return new GgufException(path + ": metadata key '" + key + "' is " + types.get(key) + ", expected " + wanted);
    }
}
