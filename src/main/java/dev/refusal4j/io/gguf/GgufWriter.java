package dev.refusal4j.io.gguf;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.tensor.quant.GgmlType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file (llama.cpp's format), little-endian:
 * <pre>
 *   "GGUF" u32 version=3 | u64 n_tensors | u64 n_kv
 *   n_kv × (string key, u32 type, value)         string = u64 length + UTF-8 bytes
 *   n_tensors × (string name, u32 n_dims, u64 ne[n_dims] (innermost first), u32 ggml_type, u64 offset)
 *   zero padding to the alignment, then the data section: each tensor at its offset, each padded to
 *   the alignment (llama.cpp expects offsets to be exactly the running sum of padded sizes and reads
 *   the padding after the last tensor too).
 * </pre>
 * Tensors are F32 ({@link #addTensorF32}, all a control vector needs), any ggml type given as its
 * blocks ({@link #addTensor}), or streamed: {@link #addTensor(String, GgmlType, long[], Data)} takes
 * a writer that {@link #write} calls when the tensor's turn comes, so a model file is written one
 * tensor at a time and never held whole. Metadata values of every GGUF type can be copied from a
 * file read by {@link GgufReader} ({@link #putValue}). The alignment is 32 unless a
 * {@code general.alignment} u32 says otherwise.
 */
public final class GgufWriter {
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;

    /** GGUF metadata value types. */
    public static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    private record Kv(int type, Object value, int elementType) {}

    /** A tensor's bytes, written when the file reaches it: exactly {@code type.bytes(elements)} of them, at the channel's position. */
    @FunctionalInterface
    public interface Data {
        void writeTo(FileChannel out) throws IOException;
    }

    private record Tensor(String name, long[] ne, GgmlType type, long bytes, Data data) {}

    private final Map<String, Kv> kvs = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter putString(String key, String value) {
        return put(key, new Kv(STRING, value, -1));
    }

    public GgufWriter putUInt16(String key, int value) {
        if (value < 0 || value > 0xFFFF) throw new IllegalArgumentException(key + ": " + value + " does not fit a uint16");
        return put(key, new Kv(UINT16, value, -1));
    }

    public GgufWriter putUInt32(String key, long value) {
        if (value < 0 || value > 0xFFFFFFFFL) throw new IllegalArgumentException(key + ": " + value + " does not fit a uint32");
        return put(key, new Kv(UINT32, value, -1));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, new Kv(INT32, value, -1));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, new Kv(FLOAT32, value, -1));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, new Kv(BOOL, value, -1));
    }

    public GgufWriter putStringArray(String key, List<String> values) {
        return put(key, new Kv(ARRAY, List.copyOf(values), STRING));
    }

    public GgufWriter putInt32Array(String key, int[] values) {
        return put(key, new Kv(ARRAY, values.clone(), INT32));
    }

    public GgufWriter putFloat32Array(String key, float[] values) {
        return put(key, new Kv(ARRAY, values.clone(), FLOAT32));
    }

    /**
     * A value as {@link GgufFile} holds it, of any GGUF type: {@code type} and, for an array,
     * {@code elementType} as the file said ({@link GgufFile#types()}, {@link GgufFile#elementTypes()}),
     * so that a copied value is written as it was read. Arrays of arrays are not written.
     */
    public GgufWriter putValue(String key, GgufType type, GgufType elementType, Object value) {
        if (type == GgufType.ARRAY) {
            if (elementType == null || elementType == GgufType.ARRAY) throw new IllegalArgumentException(key + ": an array of " + elementType + " cannot be written");
            return put(key, new Kv(ARRAY, value, elementType.ordinal()));
        }
        return put(key, new Kv(type.ordinal(), value, -1));
    }

    /** Whether a key was put. */
    public boolean has(String key) {
        return kvs.containsKey(key);
    }

    private GgufWriter put(String key, Kv kv) {
        if (kvs.containsKey(key)) throw new IllegalArgumentException("duplicate GGUF key '" + key + "'");
        kvs.put(key, kv);
        return this;
    }

    /** An F32 tensor; {@code ne} lists the dimensions innermost first, as ggml does. */
    public GgufWriter addTensorF32(String name, float[] data, long... ne) {
        long n = 1;
        for (long d : ne) n *= d;
        if (n != data.length) throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " values for shape " + java.util.Arrays.toString(ne));
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) b.putFloat(v);
        return addTensor(name, GgmlType.F32, b.array(), ne);
    }

    /**
     * A tensor of any ggml type, given as its bytes: whole blocks, rows of {@code ne[0]} elements
     * one after another, as ggml stores them.
     */
    public GgufWriter addTensor(String name, GgmlType type, byte[] data, long... ne) {
        byte[] copy = data.clone();
        if (bytes(name, type, ne) != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " bytes for " + type.ggmlName + java.util.Arrays.toString(ne));
        }
        return addTensor(name, type, ne, out -> {
            ByteBuffer b = ByteBuffer.wrap(copy);
            while (b.hasRemaining()) out.write(b);
        });
    }

    /** A tensor whose bytes {@code data} writes when {@link #write} reaches it; {@code ne} innermost first. */
    public GgufWriter addTensor(String name, GgmlType type, long[] ne, Data data) {
        long bytes = bytes(name, type, ne);
        if (tensors.stream().anyMatch(t -> t.name.equals(name))) throw new IllegalArgumentException("duplicate GGUF tensor '" + name + "'");
        tensors.add(new Tensor(name, ne.clone(), type, bytes, data));
        return this;
    }

    private static long bytes(String name, GgmlType type, long[] ne) {
        long n = 1;
        for (long d : ne) n = Math.multiplyExact(n, d);
        if (ne.length > 0 && ne[0] % type.blockElements != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + ne[0] + " are not whole " + type.ggmlName + " blocks of " + type.blockElements);
        }
        return type.bytes(n);
    }

    private int alignment() {
        Kv a = kvs.get("general.alignment");
        if (a == null) return DEFAULT_ALIGNMENT;
        if (a.type != UINT32) throw new IllegalStateException("general.alignment must be a uint32");
        long v = (Long) a.value;
        if (v == 0 || (v & (v - 1)) != 0) throw new IllegalStateException("general.alignment " + v + " is not a power of two");
        return (int) v;
    }

    /** The header: metadata and tensor infos, padded to the alignment (where the data section begins). */
    private byte[] header(int align) {
        Buf b = new Buf();
        b.u32(0x46554747); // "GGUF"
        b.u32(VERSION);
        b.u64(tensors.size());
        b.u64(kvs.size());
        for (var e : kvs.entrySet()) {
            b.str(e.getKey());
            Kv kv = e.getValue();
            b.u32(kv.type);
            if (kv.type == ARRAY) array(b, kv);
            else scalar(b, kv.type, kv.value);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            b.str(t.name);
            b.u32(t.ne.length);
            for (long d : t.ne) b.u64(d);
            b.u32(t.type.id);
            b.u64(offset);
            offset += pad(t.bytes, align);
        }
        b.padTo(align);
        return b.toArray();
    }

    /** The whole file as bytes (for small files: control vectors, tests). */
    public byte[] toBytes() {
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            Path tmp = java.nio.file.Files.createTempFile("refusal4j-gguf", ".gguf");
            try {
                try (FileChannel ch = FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                    writeTo(ch);
                }
                out.write(java.nio.file.Files.readAllBytes(tmp));
            } finally {
                java.nio.file.Files.deleteIfExists(tmp);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Writes the file whole or not at all ({@link AtomicFiles#writeChannel}), one tensor at a time. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeChannel(file, this::writeTo);
    }

    /**
     * The file into {@code ch} from its current position: the header, then each tensor's bytes at
     * its offset, each padded to the alignment. A tensor writer that writes a different number of
     * bytes than its shape needs is an error.
     */
    public void writeTo(FileChannel ch) throws IOException {
        int align = alignment();
        long start = ch.position();
        ByteBuffer head = ByteBuffer.wrap(header(align));
        while (head.hasRemaining()) ch.write(head);
        long dataStart = ch.position();
        long offset = 0;
        for (Tensor t : tensors) {
            t.data.writeTo(ch);
            long written = ch.position() - dataStart - offset;
            if (written != t.bytes) {
                throw new IllegalStateException("tensor '" + t.name + "': " + written + " bytes written, " + t.bytes + " expected for " + t.type.ggmlName + java.util.Arrays.toString(t.ne));
            }
            offset = pad(offset + t.bytes, align);
            ByteBuffer zeros = ByteBuffer.allocate((int) (dataStart + offset - ch.position()));
            while (zeros.hasRemaining()) ch.write(zeros);
        }
        if (tensors.isEmpty() && ch.position() == start) throw new IllegalStateException("nothing written");
    }

    static long pad(long n, int align) {
        return (n + align - 1) / align * align;
    }

    private static void scalar(Buf b, int type, Object v) {
        switch (type) {
            case STRING -> b.str((String) v);
            case UINT8, INT8 -> b.u8(((Number) v).intValue());
            case UINT16, INT16 -> b.u16(((Number) v).intValue());
            case UINT32, INT32 -> b.u32((int) ((Number) v).longValue());
            case UINT64, INT64 -> b.u64(((Number) v).longValue());
            case FLOAT32 -> b.f32((Float) v);
            case FLOAT64 -> b.u64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> b.u8((Boolean) v ? 1 : 0);
            default -> throw new IllegalStateException("type " + type);
        }
    }

    /** An array of {@code kv.elementType}, its elements held as {@link GgufFile} holds them (int[], long[], float[], ...). */
    private static void array(Buf b, Kv kv) {
        int t = kv.elementType;
        b.u32(t);
        switch (kv.value) {
            case List<?> l -> {
                b.u64(l.size());
                for (Object s : l) b.str((String) s);
            }
            case String[] a -> {
                b.u64(a.length);
                for (String s : a) b.str(s);
            }
            case int[] a -> {
                b.u64(a.length);
                for (int x : a) scalar(b, t, x);
            }
            case long[] a -> {
                b.u64(a.length);
                for (long x : a) scalar(b, t, x);
            }
            case float[] a -> {
                b.u64(a.length);
                for (float x : a) b.f32(x);
            }
            case double[] a -> {
                b.u64(a.length);
                for (double x : a) scalar(b, t, x);
            }
            case boolean[] a -> {
                b.u64(a.length);
                for (boolean x : a) b.u8(x ? 1 : 0);
            }
            default -> throw new IllegalStateException("array of type " + t + " held as " + kv.value.getClass().getSimpleName());
        }
    }

    /** A growable little-endian byte buffer. */
    private static final class Buf {
        private ByteBuffer bb = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int n) {
            if (bb.remaining() >= n) return;
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(bb.capacity() * 2, bb.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(bb.flip());
            bb = bigger;
        }

        void u8(int v) { room(1); bb.put((byte) v); }

        void u16(int v) { room(2); bb.putShort((short) v); }

        void u32(int v) { room(4); bb.putInt(v); }

        void bytes(byte[] v) { room(v.length); bb.put(v); }

        void u64(long v) { room(8); bb.putLong(v); }

        void f32(float v) { room(4); bb.putFloat(v); }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            room(b.length);
            bb.put(b);
        }

        void padTo(int align) {
            int n = (int) (pad(bb.position(), align) - bb.position());
            room(n);
            for (int i = 0; i < n; i++) bb.put((byte) 0);
        }

        byte[] toArray() {
            byte[] out = new byte[bb.position()];
            bb.flip().get(out);
            return out;
        }
    }
}
