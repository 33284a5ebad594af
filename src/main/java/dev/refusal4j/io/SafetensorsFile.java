package dev.refusal4j.io;

import com.fasterxml.jackson.databind.JsonNode;

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
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped safetensors file: 8-byte little-endian header length, a JSON header, then the
 * data area. The whole file is mapped read-only with the FFM API (no 2 GB limit, nothing copied
 * onto the heap); tensors are slices of that mapping. Every structural problem is reported with
 * the file name and the tensor at fault.
 */
public final class SafetensorsFile {
    private static final long MAX_HEADER = 100L << 20; // safetensors' own limit is 100 MB

    public final Path path;
    public final MemorySegment mapped;   // the whole file
    public final long dataStart;         // 8 + header length
    private final Map<String, TensorInfo> tensors; // in header order
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, MemorySegment mapped, long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.mapped = mapped;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Maps and validates {@code file}; the mapping lives as long as {@code arena}. */
    public static SafetensorsFile open(Path file, Arena arena) throws IOException {
        MemorySegment seg;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFormatException(file, "file not found");
        }
        long size = seg.byteSize();
        if (size < 8) throw new ModelFormatException(file, "truncated: " + size + " bytes, too short for the 8-byte header length");
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 2 || n > MAX_HEADER) throw new ModelFormatException(file, "header length " + n + " is not plausible (file has " + size + " bytes)");
        if (8 + n > size) throw new ModelFormatException(file, "header length " + n + " reaches beyond the end of the file (" + size + " bytes): truncated?");
        byte[] hb = seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header;
        try {
            header = Json.MAPPER.readTree(new String(hb, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ModelFormatException(file, "header is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (header == null || !header.isObject()) throw new ModelFormatException(file, "header is not a JSON object");
        long dataSize = size - 8 - n;
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                if (!e.getValue().isObject()) throw new ModelFormatException(file, "__metadata__ is not an object");
                e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().isTextual() ? m.getValue().asText() : m.getValue().toString()));
                continue;
            }
            infos.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue(), dataSize));
        }
        checkOverlaps(file, infos);
        return new SafetensorsFile(file, seg, 8 + n, Collections.unmodifiableMap(infos), Collections.unmodifiableMap(meta));
    }

    private static TensorInfo parseEntry(Path file, String name, JsonNode node, long dataSize) {
        if (!node.isObject()) throw new ModelFormatException(file, "tensor '" + name + "': entry is not an object");
        JsonNode dt = node.get("dtype"), sh = node.get("shape"), off = node.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new ModelFormatException(file, "tensor '" + name + "': missing or invalid 'dtype'");
        if (sh == null || !sh.isArray()) throw new ModelFormatException(file, "tensor '" + name + "': missing or invalid 'shape'");
        // whole numbers only: canConvertToLong() would take 0.5 for 0
        if (off == null || !off.isArray() || off.size() != 2 || !isWholeLong(off.get(0)) || !isWholeLong(off.get(1))) {
            throw new ModelFormatException(file, "tensor '" + name + "': 'data_offsets' must be [begin, end], two whole numbers; found " + off);
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!isWholeLong(sh.get(i)) || sh.get(i).asLong() < 0) throw new ModelFormatException(file, "tensor '" + name + "': invalid shape " + sh + " (sizes are whole numbers >= 0)");
            shape[i] = sh.get(i).asLong();
        }
        String dtype = dt.asText();
        int eb = TensorInfo.dtypeBytes(dtype);
        if (eb < 0) throw new ModelFormatException(file, "tensor '" + name + "': unknown dtype '" + dtype + "'");
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin) throw new ModelFormatException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end + "] are not an ordered range");
        if (end > dataSize) throw new ModelFormatException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end + "] lie outside the data area (" + dataSize + " bytes): truncated file?");
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end, file);
        long expect;
        try {
            expect = Math.multiplyExact(info.elements(), eb);
        } catch (ArithmeticException ex) {
            throw new ModelFormatException(file, "tensor '" + name + "': shape " + info.shapeString() + " is too large");
        }
        if (end - begin != expect) {
            throw new ModelFormatException(file, "tensor '" + name + "': " + dtype + info.shapeString() + " needs " + expect + " bytes but data_offsets span " + (end - begin));
        }
        return info;
    }

    /** An integer JSON number that fits a long (not 0.5, not 4.0, not a string). */
    private static boolean isWholeLong(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong();
    }

    private static void checkOverlaps(Path file, Map<String, TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>(infos.values());
        sorted.removeIf(t -> t.end() == t.begin());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1), b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new ModelFormatException(file, "tensors '" + a.name() + "' [" + a.begin() + ", " + a.end() + ") and '" + b.name() + "' [" + b.begin() + ", " + b.end() + ") overlap");
            }
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** The bytes of a tensor, a slice of the mapping. */
    public MemorySegment segment(TensorInfo t) {
        return mapped.asSlice(dataStart + t.begin(), t.end() - t.begin());
    }
}
