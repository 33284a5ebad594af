package dev.refusal4j.io.gguf;

import dev.refusal4j.tensor.quant.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads GGUF files, versions 2 and 3 (the same layout), little-endian:
 * <pre>
 *   "GGUF" u32 version | u64 n_tensors | u64 n_kv
 *   n_kv × (string key, u32 value type, value)     string = u64 length + UTF-8 bytes;
 *                                                  array = u32 element type, u64 count, elements
 *   n_tensors × (string name, u32 n_dims, u64 ne[n_dims] (innermost first), u32 ggml type, u64 offset)
 *   padding to general.alignment (u32, default 32), then the data section; offsets are relative to it
 * </pre>
 * The file is memory-mapped with the FFM API and every length is checked against what is left of
 * it before anything is allocated, so a damaged or hostile file gives one line naming the file and
 * the place — never an out-of-memory error or another exception. The checks are ggml's
 * ({@code gguf_init_from_file_impl}): at most 4 dimensions, none negative, element and byte counts
 * that fit, a known tensor type whose blocks divide the rows, names under 64 bytes, no duplicate
 * key or tensor name, a uint32 power-of-two alignment. Arrays of arrays, which ggml does not write,
 * are read up to a depth of {@value #MAX_ARRAY_DEPTH}.
 */
public final class GgufReader {
    private static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int MAX_DIMS = 4;               // GGML_MAX_DIMS
    static final int MAX_NAME_BYTES = 63;        // GGML_MAX_NAME - 1
    static final int MAX_ARRAY_DEPTH = 8;
    private static final long DEFAULT_ALIGNMENT = 32;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final MemorySegment seg;
    private final long size;
    private long pos;
    private String context = "header"; // what is being read, for error messages
    private final long heapBudget;      // what the header may take on the heap
    private long heapLeft;

    private GgufReader(Path path, MemorySegment seg, long heapBudget) {
        this.path = path;
        this.seg = seg;
        this.size = seg.byteSize();
        this.heapBudget = heapBudget;
        this.heapLeft = heapBudget;
    }

    /** A quarter of the heap, at most 1 GiB: a real vocabulary takes tens of MB. */
    private static long defaultHeapBudget() {
        return Math.min(1L << 30, Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * The header of a GGUF file: metadata and tensor infos. The data section is not looked at, so a
     * header-only excerpt (a vocabulary file) is a valid input.
     */
    public static GgufFile read(Path path) {
        return read(path, defaultHeapBudget());
    }

    static GgufFile read(Path path, long heapBudget) {
        try (Arena arena = Arena.ofConfined()) {
            return new GgufReader(path, map(path, arena), heapBudget).header();
        }
    }

    /**
     * The file mapped for its tensors: the header as {@link #read}, and every tensor's bytes checked
     * to lie inside the file without overlapping another. The mapping lives as long as {@code arena}.
     */
    public static MappedGguf open(Path path, Arena arena) {
        MemorySegment seg = map(path, arena);
        GgufFile header = new GgufReader(path, seg, defaultHeapBudget()).header();
        checkData(header, seg.byteSize());
        return new MappedGguf(header, seg);
    }

    private static MemorySegment map(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new GgufException(path + ": no such file", e);
        } catch (IOException | UnsupportedOperationException e) {
            throw new GgufException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private GgufException error(String message) {
        return new GgufException(path + ": " + message);
    }

    private GgufFile header() {
        int magic = i32();
        if (magic != MAGIC) throw error("not a GGUF file (magic " + String.format("0x%08X", magic) + ", expected \"GGUF\")");
        int version = i32();
        if (version != 2 && version != 3) {
            int swapped = Integer.reverseBytes(version);
            throw error("GGUF version " + Integer.toUnsignedString(version) + " is not supported (2 and 3 are)"
                    + (swapped == 2 || swapped == 3 ? "; the file looks big-endian" : ""));
        }
        long tensorCount = i64(), kvCount = i64();
        // the smallest tensor info is 24 bytes, the smallest key/value 13: counts beyond that are damage
        if (tensorCount < 0 || kvCount < 0 || tensorCount > (size - pos) / 24 || kvCount > (size - pos) / 13) {
            throw error("truncated or damaged: " + Long.toUnsignedString(tensorCount) + " tensor infos and "
                    + Long.toUnsignedString(kvCount) + " metadata entries cannot fit in the file's " + size + " bytes");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufType> types = new LinkedHashMap<>();
        Map<String, GgufType> elementTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            context = "metadata entry " + i;
            String key = string();
            if (key.isEmpty()) throw error(context + " has an empty key");
            if (metadata.containsKey(key)) throw error("metadata key " + quote(key) + " appears twice");
            context = "metadata " + quote(key);
            GgufType type = type();
            if (type == GgufType.ARRAY) {
                GgufType element = type();
                elementTypes.put(key, element);
                metadata.put(key, array(element, 1));
            } else {
                metadata.put(key, value(type));
            }
            types.put(key, type);
        }
        long alignment = alignment(metadata, types);
        List<GgufTensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            context = "tensor info " + i;
            tensors.add(tensorInfo(alignment, names));
        }
        long dataOffset = (pos + alignment - 1) / alignment * alignment;
        return new GgufFile(path, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(types),
                Collections.unmodifiableMap(elementTypes), List.copyOf(tensors), alignment, dataOffset);
    }

    /** llama.cpp reads general.alignment as a uint32; a float (32.5) or a signed value is a damaged file, not 32. */
    private long alignment(Map<String, Object> metadata, Map<String, GgufType> types) {
        Object a = metadata.get("general.alignment");
        if (a == null) return DEFAULT_ALIGNMENT;
        if (types.get("general.alignment") != GgufType.UINT32) {
            throw error("general.alignment is a " + types.get("general.alignment") + " (" + brief(a) + "); it must be a uint32");
        }
        long alignment = (Long) a;
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw error("general.alignment is " + alignment + "; it must be a power of two");
        return alignment;
    }

    private GgufTensorInfo tensorInfo(long alignment, Set<String> names) {
        String name = string();
        context = "tensor info " + quote(name);
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > MAX_NAME_BYTES) throw error(context + ": the name has " + nameBytes + " bytes; ggml allows at most " + MAX_NAME_BYTES);
        if (!names.add(name)) throw error("tensor name " + quote(name) + " appears twice");
        int nDims = i32();
        if (nDims < 0 || nDims > MAX_DIMS) throw error(context + " has " + Integer.toUnsignedString(nDims) + " dimensions; ggml allows at most " + MAX_DIMS);
        long[] dims = new long[nDims];
        long elements = 1;
        for (int d = 0; d < nDims; d++) {
            dims[d] = i64();
            if (dims[d] < 0) throw error(context + " has dimension " + Long.toUnsignedString(dims[d]) + ", more than any file holds");
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw error(context + " has shape " + GgufTensorInfo.shape(dims, d + 1) + ", more elements than any file holds");
            }
        }
        int typeId = i32();
        GgmlType type = GgmlType.byId(typeId);
        if (type == null) throw error(context + " has tensor type " + typeId + ", which ggml does not know (any more)");
        long rowLength = nDims == 0 ? 1 : dims[0]; // no dimensions: one element, as ggml's ne = {1, 1, 1, 1}
        if (rowLength % type.blockElements != 0) {
            throw error(context + " has rows of " + rowLength + " elements, not a whole number of " + type.ggmlName + " blocks of " + type.blockElements);
        }
        try {
            type.bytes(elements);
        } catch (ArithmeticException e) {
            throw error(context + " has shape " + GgufTensorInfo.shape(dims, nDims) + ", more bytes than any file holds");
        }
        long offset = i64();
        if (offset < 0) throw error(context + " has offset " + Long.toUnsignedString(offset) + ", more than any file holds");
        if (offset % alignment != 0) throw error(context + " has offset " + offset + ", not a multiple of general.alignment " + alignment);
        charge(96 + 8L * nDims + 2L * name.length(), "tensor infos");
        return new GgufTensorInfo(name, dims, type, offset);
    }

    /** Every tensor inside the file, none overlapping another. */
    private static void checkData(GgufFile g, long fileSize) {
        if (g.tensors().isEmpty()) return;
        long dataSize = fileSize - g.dataOffset();
        if (dataSize < 0) {
            throw new GgufException(g.path() + ": truncated: the data section would start at byte " + g.dataOffset() + " but the file has " + fileSize + " bytes");
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(g.tensors());
        for (GgufTensorInfo t : byOffset) {
            if (t.offset() > dataSize - t.bytes()) {
                throw new GgufException(g.path() + ": truncated: tensor " + quote(t.name()) + " (" + t.type().ggmlName + ", " + t.bytes()
                        + " bytes at data offset " + t.offset() + ") runs past the end of the data section (" + dataSize + " bytes)");
            }
        }
        byOffset.removeIf(t -> t.bytes() == 0);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1), b = byOffset.get(i);
            if (b.offset() < a.offset() + a.bytes()) {
                throw new GgufException(g.path() + ": tensors " + quote(a.name()) + " [" + a.offset() + ", " + (a.offset() + a.bytes())
                        + ") and " + quote(b.name()) + " [" + b.offset() + ", " + (b.offset() + b.bytes()) + ") overlap");
            }
        }
    }

    private GgufType type() {
        int code = i32();
        GgufType[] all = GgufType.values();
        if (code < 0 || code >= all.length) throw error(context + " has unknown value type " + code);
        return all[code];
    }

    private Object value(GgufType type) {
        return switch (type) {
            case UINT8 -> u8();
            case INT8 -> (int) (byte) u8();
            case UINT16 -> u16();
            case INT16 -> (int) (short) u16();
            case UINT32 -> i32() & 0xFFFFFFFFL;
            case INT32 -> i32();
            case FLOAT32 -> Float.intBitsToFloat(i32());
            case BOOL -> u8() != 0;
            case STRING -> string();
            case UINT64, INT64 -> i64();
            case FLOAT64 -> Double.longBitsToDouble(i64());
            case ARRAY -> throw new IllegalStateException("arrays are read by array()");
        };
    }

    private Object array(GgufType type, int depth) {
        if (depth > MAX_ARRAY_DEPTH) throw error(context + " nests arrays more than " + MAX_ARRAY_DEPTH + " deep");
        long n = i64();
        // a string takes at least its length field, an array its type and count
        long perElement = type == GgufType.STRING ? 8 : type == GgufType.ARRAY ? 12 : type.size();
        if (n < 0 || n > (size - pos) / perElement) { // divided, not multiplied: a huge count must not overflow
            throw error(context + " declares " + Long.toUnsignedString(n) + " elements of " + type + ", more than the file holds");
        }
        int len = (int) n;
        charge(16 + n * switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32, FLOAT32 -> 4;
            case BOOL -> 1;
            default -> 8;
        }, "arrays");
        switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                int[] a = new int[len];
                for (int i = 0; i < len; i++) a[i] = ((Number) value(type)).intValue();
                return a;
            }
            case UINT32, UINT64, INT64 -> {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) a[i] = ((Number) value(type)).longValue();
                return a;
            }
            case FLOAT32 -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) a[i] = Float.intBitsToFloat(i32());
                return a;
            }
            case FLOAT64 -> {
                double[] a = new double[len];
                for (int i = 0; i < len; i++) a[i] = Double.longBitsToDouble(i64());
                return a;
            }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) a[i] = u8() != 0;
                return a;
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) a[i] = string();
                return a;
            }
            case ARRAY -> {
                Object[] a = new Object[len];
                for (int i = 0; i < len; i++) a[i] = array(type(), depth + 1);
                return a;
            }
        }
        throw new IllegalStateException(type.toString());
    }

    private String string() {
        long n = i64();
        if (n < 0 || n > size - pos) {
            throw error(context + ": string length " + Long.toUnsignedString(n) + " runs past the end of the file (" + (size - pos) + " bytes left)");
        }
        if (n > Integer.MAX_VALUE - 16) throw error(context + ": string of " + n + " bytes, longer than any GGUF string should be");
        charge(48 + 2 * n, "strings");
        byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
        pos += n;
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Metadata is bounded by the heap it takes, not only by the file: a million empty strings are 8 MB of file and 48 MB of heap. */
    private void charge(long bytes, String what) {
        heapLeft -= bytes;
        if (heapLeft < 0) {
            throw error(context + ": the " + what + " of the header would take more than " + (heapBudget >> 20) + " MiB of memory; a damaged file?");
        }
    }

    private void need(int n) {
        if (pos + n > size) throw error("truncated: the file ends at byte " + size + " inside " + context);
    }

    private int u8() {
        need(1);
        return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    private int u16() {
        need(2);
        int v = seg.get(I16, pos) & 0xFFFF;
        pos += 2;
        return v;
    }

    private int i32() {
        need(4);
        int v = seg.get(I32, pos);
        pos += 4;
        return v;
    }

    private long i64() {
        need(8);
        long v = seg.get(I64, pos);
        pos += 8;
        return v;
    }

    /** A name from the file for a message: quoted, control characters escaped, long ones cut. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("'");
        for (int i = 0; i < s.length() && i < 80; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        if (s.length() > 80) b.append("…(").append(s.length()).append(" chars)");
        return b.append('\'').toString();
    }

    private static String brief(Object value) {
        return quote(String.valueOf(value)).replace("'", "");
    }
}
