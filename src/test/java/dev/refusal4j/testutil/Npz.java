package dev.refusal4j.testutil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Reads the float32 / int32 arrays of a numpy .npz file (little-endian, C order). */
public final class Npz {
    public record Array(int[] shape, float[] data) {
        public int size(int dim) {
            return shape[dim];
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public static Map<String, Array> read(Path file) throws IOException {
        Map<String, Array> out = new HashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (ZipEntry e : java.util.Collections.list(zip.entries())) {
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    ByteArrayOutputStream bo = new ByteArrayOutputStream();
                    in.transferTo(bo);
                    bytes = bo.toByteArray();
                }
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                out.put(name, parseNpy(bytes, name));
            }
        }
        return out;
    }

    private static Array parseNpy(byte[] b, String name) {
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int major = b[6];
        int headerLen = major == 1 ? Short.toUnsignedInt(bb.getShort(8)) : bb.getInt(8);
        int dataStart = (major == 1 ? 10 : 12) + headerLen;
        String header = new String(b, major == 1 ? 10 : 12, headerLen, StandardCharsets.ISO_8859_1);
        Matcher dm = DESCR.matcher(header), sm = SHAPE.matcher(header);
        if (!dm.find() || !sm.find()) throw new IllegalArgumentException(name + ": bad npy header " + header);
        String[] parts = sm.group(1).split(",");
        int n = 0;
        int[] shape = new int[parts.length];
        for (String p : parts) if (!p.isBlank()) shape[n++] = Integer.parseInt(p.trim());
        shape = java.util.Arrays.copyOf(shape, n);
        int count = 1;
        for (int s : shape) count *= s;
        float[] data = new float[count];
        bb.position(dataStart);
        switch (dm.group(1)) {
            case "<f4" -> bb.asFloatBuffer().get(data);
            case "<i4" -> { for (int i = 0; i < count; i++) data[i] = bb.getInt(dataStart + 4 * i); }
            case "<i8" -> { for (int i = 0; i < count; i++) data[i] = bb.getLong(dataStart + 8 * i); }
            case "<f8" -> { for (int i = 0; i < count; i++) data[i] = (float) bb.getDouble(dataStart + 8 * i); }
            default -> throw new IllegalArgumentException(name + ": unsupported dtype " + dm.group(1));
        }
        return new Array(shape, data);
    }
}
