package dev.refusal4j.io.gguf;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the header of a GGUF file (versions 2 and 3): magic, counts, metadata key/values of every
 * type including arrays, and tensor infos. Little-endian throughout. Lengths are checked against
 * the file size so a damaged file gives an error naming it instead of a huge allocation.
 */
public final class GgufReader {
    private static final int MAGIC = 0x46554747; // "GGUF" read little-endian

    private final Path path;
    private final InputStream in;
    private final long fileSize;
    private long pos;
    private String context = "header"; // what is being read, for error messages

    private GgufReader(Path path, InputStream in, long fileSize) {
        this.path = path;
        this.in = in;
        this.fileSize = fileSize;
    }

    public static GgufFile read(Path path) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return new GgufReader(path, in, Files.size(path)).readFile();
        } catch (EOFException e) {
            throw new GgufException(path + ": truncated GGUF file (" + e.getMessage() + ")", e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new GgufException(path + ": no such file", e);
        } catch (IOException e) {
            throw new GgufException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private GgufFile readFile() throws IOException {
        int magic = i32();
        if (magic != MAGIC) {
            throw new GgufException(path + ": not a GGUF file (magic " + String.format("0x%08X", magic) + ", expected \"GGUF\")");
        }
        int version = i32();
        if (version != 2 && version != 3) {
            throw new GgufException(path + ": GGUF version " + version + " is not supported (2 and 3 are)");
        }
        long tensorCount = i64(), kvCount = i64();
        if (tensorCount < 0 || kvCount < 0 || tensorCount > fileSize || kvCount > fileSize) {
            throw new GgufException(path + ": implausible counts (" + tensorCount + " tensors, " + kvCount + " metadata entries)");
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufType> types = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            context = "metadata entry " + i;
            String key = string();
            context = "metadata '" + key + "'";
            GgufType type = GgufType.of(i32(), path + ": " + context);
            metadata.put(key, value(type));
            types.put(key, type);
        }
        List<GgufTensorInfo> tensors = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            context = "tensor info " + i;
            String name = string();
            context = "tensor info '" + name + "'";
            int nDims = i32();
            if (nDims < 0 || nDims > 8) throw new GgufException(path + ": " + context + " has " + nDims + " dimensions");
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = i64();
                if (dims[d] < 0) throw new GgufException(path + ": " + context + " has dimension " + Long.toUnsignedString(dims[d]) + ", more than any file holds");
            }
            int type = i32();
            long offset = i64();
            if (offset < 0) throw new GgufException(path + ": " + context + " has offset " + Long.toUnsignedString(offset) + ", more than any file holds");
            tensors.add(new GgufTensorInfo(name, dims, type, offset));
        }
        Object a = metadata.get("general.alignment");
        // llama.cpp reads it as a uint32; a float (32.5) or a signed/negative value is a damaged file, not 32
        if (a != null && types.get("general.alignment") != GgufType.UINT32) {
            throw new GgufException(path + ": general.alignment is a " + types.get("general.alignment") + " (" + a + "); it must be a uint32");
        }
        long alignment = a == null ? 32 : (Long) a;
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new GgufException(path + ": general.alignment is " + alignment + "; it must be a power of two");
        long dataOffset = (pos + alignment - 1) / alignment * alignment;
        // the data section is not read here (a header-only excerpt is a valid input), so offsets are checked for form only
        for (GgufTensorInfo t : tensors) {
            if (t.offset() % alignment != 0) throw new GgufException(path + ": tensor info '" + t.name() + "' has offset " + t.offset() + ", not a multiple of general.alignment " + alignment);
        }
        return new GgufFile(path, version, Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(types),
                List.copyOf(tensors), dataOffset);
    }

    private Object value(GgufType type) throws IOException {
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
            case ARRAY -> array();
        };
    }

    private Object array() throws IOException {
        GgufType type = GgufType.of(i32(), path + ": " + context);
        long n = i64();
        long perElement = type.size() > 0 ? type.size() : 8;   // a string takes at least its length field
        if (n < 0 || n > (fileSize - pos) / perElement) {      // divided, not multiplied: a huge count must not overflow
            throw new GgufException(path + ": " + context + " declares " + n + " elements of " + type + ", more than the file holds");
        }
        int len = (int) n;
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
            default -> {
                Object[] a = new Object[len];
                for (int i = 0; i < len; i++) a[i] = array();
                return a;
            }
        }
    }

    private String string() throws IOException {
        long n = i64();
        if (n < 0 || n > fileSize - pos) {
            throw new GgufException(path + ": " + context + ": string length " + n + " runs past the end of the file");
        }
        return new String(bytes((int) n), StandardCharsets.UTF_8);
    }

    private byte[] bytes(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        pos += b.length;
        if (b.length < n) throw new EOFException("ends at byte " + pos + " inside " + context);
        return b;
    }

    private int u8() throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException("ends at byte " + pos + " inside " + context);
        pos++;
        return b;
    }

    private int u16() throws IOException {
        return u8() | u8() << 8;
    }

    private int i32() throws IOException {
        return u8() | u8() << 8 | u8() << 16 | u8() << 24;
    }

    private long i64() throws IOException {
        return (i32() & 0xFFFFFFFFL) | ((long) i32() << 32);
    }
}
