package dev.refusal4j.io;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a safetensors file tensor by tensor, so that a model larger than memory streams through.
 * The header is padded with spaces to a multiple of 8 (as the reference writer does). The file
 * appears whole or not at all ({@link AtomicFiles#writeChannel}).
 */
public final class SafetensorsWriter {

    /** Produces a tensor's bytes (little-endian, row-major) on demand. */
    public interface Source {
        String name();

        String dtype();

        long[] shape();

        /** Writes exactly byteSize() bytes. */
        void writeTo(FileChannel out) throws IOException;

        /**
         * When to write this tensor: in ascending order, ties in list order; its place in the file
         * is the same either way. An exporter that computes some tensors and copies the rest lets
         * the copies go first, while its kernels are still being compiled.
         */
        default int writeOrder() {
            return 0;
        }

        default long byteSize() {
            long n = TensorInfo.dtypeBytes(dtype());
            for (long d : shape()) n *= d;
            return n;
        }
    }

    /** An F32 tensor from a heap array. */
    public static Source f32(String name, float[] data, long... shape) {
        return new Source() {
            public String name() { return name; }
            public String dtype() { return "F32"; }
            public long[] shape() { return shape; }
            public void writeTo(FileChannel out) throws IOException {
                ByteBuffer bb = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < data.length; ) {
                    bb.clear();
                    while (i < data.length && bb.remaining() >= 4) bb.putFloat(data[i++]);
                    bb.flip();
                    while (bb.hasRemaining()) out.write(bb);
                }
            }
        };
    }

    /** A tensor copied byte for byte from a segment (e.g. an unmodified tensor of a mapped input). */
    public static Source copy(String name, String dtype, long[] shape, MemorySegment bytes) {
        return new Source() {
            public String name() { return name; }
            public String dtype() { return dtype; }
            public long[] shape() { return shape; }
            public void writeTo(FileChannel out) throws IOException {
                long n = bytes.byteSize();
                for (long off = 0; off < n; ) {
                    ByteBuffer bb = bytes.asSlice(off, Math.min(n - off, 1 << 24)).asByteBuffer();
                    off += bb.remaining();
                    while (bb.hasRemaining()) out.write(bb);
                }
            }
        };
    }

    private SafetensorsWriter() {}

    /** {@code m} itself when its order is defined (a SequencedMap), else its entries sorted by key. */
    public static <V> Map<String, V> stableOrder(Map<String, V> m) {
        return m instanceof java.util.SequencedMap<String, V> ? m : new java.util.TreeMap<>(m);
    }

    /**
     * Writes {@code tensors} in the given order with optional string metadata, in the map's order
     * when it has one (a {@link java.util.SequencedMap} such as LinkedHashMap), else sorted by key,
     * so that the same call writes the same bytes (Map.of's order changes from run to run).
     */
    public static void write(Path file, List<? extends Source> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = Json.MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            stableOrder(metadata).forEach(m::put);
        }
        long off = 0;
        List<Long> sizes = new ArrayList<>();
        for (Source s : tensors) {
            ObjectNode t = header.putObject(s.name());
            t.put("dtype", s.dtype());
            var shape = t.putArray("shape");
            for (long d : s.shape()) shape.add(d);
            long size = s.byteSize();
            sizes.add(size);
            t.putArray("data_offsets").add(off).add(off + size);
            off += size;
        }
        byte[] json = Json.LINE.writeValueAsBytes(header); // compact, as the reference writer writes it
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        AtomicFiles.writeChannel(file, ch -> {
            while (head.hasRemaining()) ch.write(head);
            for (int order : tensors.stream().mapToInt(Source::writeOrder).distinct().sorted().toArray()) {
                long start = head.limit();
                for (int i = 0; i < tensors.size(); i++) {
                    Source t = tensors.get(i);
                    if (t.writeOrder() == order) {
                        ch.position(start);
                        t.writeTo(ch);
                        long wrote = ch.position() - start;
                        if (wrote != sizes.get(i)) throw new IOException("tensor '" + t.name() + "' wrote " + wrote + " bytes, expected " + sizes.get(i));
                    }
                    start += sizes.get(i);
                }
            }
        });
    }
}
