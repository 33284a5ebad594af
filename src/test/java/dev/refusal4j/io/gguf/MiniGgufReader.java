package dev.refusal4j.io.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal GGUF reader written for the tests from the format description (independent of
 * {@link GgufWriter}): every value type, tensor infos, and the checks llama.cpp's gguf loader makes
 * (magic, version, offsets equal to the running sum of aligned sizes, data within the file).
 */
public final class MiniGgufReader {
    public record TensorInfo(String name, long[] ne, int type, long offset) {}

    public final int version;
    public final Map<String, Object> kv = new LinkedHashMap<>();
    public final Map<String, Integer> kvType = new LinkedHashMap<>();
    public final List<TensorInfo> tensors = new ArrayList<>();
    public final long dataStart;
    final int alignment;
    final ByteBuffer bb;

    public MiniGgufReader(Path file) throws IOException {
        bb = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        bb.get(magic);
        if (!new String(magic, StandardCharsets.US_ASCII).equals("GGUF")) throw new IOException("bad magic");
        version = bb.getInt();
        long nt = bb.getLong(), nkv = bb.getLong();
        for (long i = 0; i < nkv; i++) {
            String key = str();
            int type = bb.getInt();
            if (kv.containsKey(key)) throw new IOException("duplicate key " + key);
            kvType.put(key, type);
            kv.put(key, value(type));
        }
        for (long i = 0; i < nt; i++) {
            String name = str();
            int nd = bb.getInt();
            long[] ne = new long[nd];
            for (int d = 0; d < nd; d++) ne[d] = bb.getLong();
            tensors.add(new TensorInfo(name, ne, bb.getInt(), bb.getLong()));
        }
        alignment = kv.containsKey("general.alignment") ? (int) (long) (Long) kv.get("general.alignment") : 32;
        dataStart = (bb.position() + alignment - 1) / alignment * alignment;
        long expect = 0;
        for (TensorInfo t : tensors) {
            if (t.offset != expect) throw new IOException("tensor " + t.name + " at offset " + t.offset + ", expected " + expect);
            if (t.type != 0) throw new IOException("only F32 expected");
            long n = 4;
            for (long d : t.ne) n *= d;
            expect += (n + alignment - 1) / alignment * alignment;
        }
        if (!tensors.isEmpty() && dataStart + expect > bb.limit()) throw new IOException("data section of " + expect + " bytes runs past the end of the file");
        for (int i = bb.position(); i < Math.min(dataStart, bb.limit()); i++) {
            if (bb.get(i) != 0) throw new IOException("non-zero padding before the data section");
        }
    }

    public float[] floats(TensorInfo t) {
        long n = 1;
        for (long d : t.ne) n *= d;
        float[] out = new float[(int) n];
        for (int i = 0; i < n; i++) out[i] = bb.getFloat((int) (dataStart + t.offset + 4L * i));
        return out;
    }

    private String str() {
        long n = bb.getLong();
        byte[] b = new byte[(int) n];
        bb.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private Object value(int type) throws IOException {
        return switch (type) {
            case 0, 1 -> (long) (type == 0 ? bb.get() & 0xFF : bb.get());
            case 2, 3 -> (long) (type == 2 ? bb.getShort() & 0xFFFF : bb.getShort());
            case 4 -> bb.getInt() & 0xFFFFFFFFL;
            case 5 -> (long) bb.getInt();
            case 6 -> bb.getFloat();
            case 7 -> bb.get() != 0;
            case 8 -> str();
            case 9 -> {
                int et = bb.getInt();
                long n = bb.getLong();
                List<Object> l = new ArrayList<>();
                for (long i = 0; i < n; i++) l.add(value(et));
                yield l;
            }
            case 10, 11 -> bb.getLong();
            case 12 -> bb.getDouble();
            default -> throw new IOException("unknown value type " + type);
        };
    }
}
