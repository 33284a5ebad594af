package dev.refusal4j.io.gguf;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.tensor.quant.GgmlType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * Tensors are F32 ({@link #addTensorF32}, all a control vector needs) or any ggml type given as its
 * blocks ({@link #addTensor}). The alignment is 32 unless a {@code general.alignment} u32 says otherwise.
 */
public final class GgufWriter {
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;

    /** GGUF metadata value types. */
    public static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    private record Kv(int type, Object value, int elementType) {}

    private record Tensor(String name, long[] ne, GgmlType type, byte[] data) {}

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
        long n = 1;
        for (long d : ne) n *= d;
        if (ne.length > 0) type.bytes(ne[0]); // rows must be whole blocks
        if (type.bytes(n) != data.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " bytes for " + type.ggmlName + java.util.Arrays.toString(ne));
        }
        if (tensors.stream().anyMatch(t -> t.name.equals(name))) throw new IllegalArgumentException("duplicate GGUF tensor '" + name + "'");
        tensors.add(new Tensor(name, ne.clone(), type, data.clone()));
        return this;
    }

    private int alignment() {
        Kv a = kvs.get("general.alignment");
        if (a == null) return DEFAULT_ALIGNMENT;
        if (a.type != UINT32) throw new IllegalStateException("general.alignment must be a uint32");
        long v = (Long) a.value;
        if (v == 0 || (v & (v - 1)) != 0) throw new IllegalStateException("general.alignment " + v + " is not a power of two");
        return (int) v;
    }

    /** The whole file as bytes (control vectors are small). */
    public byte[] toBytes() {
        int align = alignment();
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
            offset += pad(t.data.length, align);
        }
        b.padTo(align);
        for (Tensor t : tensors) {
            b.bytes(t.data);
            b.padTo(align);
        }
        return b.toArray();
    }

    /** Writes the file whole or not at all ({@link AtomicFiles#writeChannel}). */
    public void write(Path file) throws IOException {
        ByteBuffer bb = ByteBuffer.wrap(toBytes());
        AtomicFiles.writeChannel(file, ch -> {
            while (bb.hasRemaining()) ch.write(bb);
        });
    }

    static long pad(long n, int align) {
        return (n + align - 1) / align * align;
    }

    private static void scalar(Buf b, int type, Object v) {
        switch (type) {
            case STRING -> b.str((String) v);
            case UINT16 -> b.u16((Integer) v);
            case UINT32 -> b.u32((int) (long) (Long) v);
            case INT32 -> b.u32((Integer) v);
            case FLOAT32 -> b.f32((Float) v);
            case BOOL -> b.u8((Boolean) v ? 1 : 0);
            default -> throw new IllegalStateException("type " + type);
        }
    }

    private static void array(Buf b, Kv kv) {
        b.u32(kv.elementType);
        switch (kv.elementType) {
            case STRING -> {
                @SuppressWarnings("unchecked") List<String> l = (List<String>) kv.value;
                b.u64(l.size());
                for (String s : l) b.str(s);
            }
            case INT32 -> {
                int[] a = (int[]) kv.value;
                b.u64(a.length);
                for (int x : a) b.u32(x);
            }
            case FLOAT32 -> {
                float[] a = (float[]) kv.value;
                b.u64(a.length);
                for (float x : a) b.f32(x);
            }
            default -> throw new IllegalStateException("array of type " + kv.elementType);
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
