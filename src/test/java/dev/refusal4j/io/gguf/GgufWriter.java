package dev.refusal4j.io.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes a metadata-only GGUF v3 file (for tests): String, Integer, Boolean, String[], int[], float[] values. */
public final class GgufWriter {
    private GgufWriter() {}

    public static void write(Path file, Map<String, Object> metadata) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        raw(out, 4, 0x46554747);
        raw(out, 4, 3);
        raw(out, 8, 0);
        raw(out, 8, metadata.size());
        for (var e : metadata.entrySet()) {
            str(out, e.getKey());
            Object v = e.getValue();
            switch (v) {
                case String s -> { raw(out, 4, 8); str(out, s); }
                case Integer i -> { raw(out, 4, 4); raw(out, 4, i); }
                case Boolean b -> { raw(out, 4, 7); raw(out, 1, b ? 1 : 0); }
                case String[] a -> {
                    raw(out, 4, 9); raw(out, 4, 8); raw(out, 8, a.length);
                    for (String s : a) str(out, s);
                }
                case int[] a -> {
                    raw(out, 4, 9); raw(out, 4, 5); raw(out, 8, a.length);
                    for (int x : a) raw(out, 4, x);
                }
                case float[] a -> {
                    raw(out, 4, 9); raw(out, 4, 6); raw(out, 8, a.length);
                    for (float x : a) raw(out, 4, Float.floatToIntBits(x));
                }
                default -> throw new IllegalArgumentException("unsupported test value " + v.getClass());
            }
        }
        Files.write(file, out.toByteArray());
    }

    private static void raw(ByteArrayOutputStream out, int bytes, long v) {
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array(), 0, bytes);
    }

    private static void str(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        raw(out, 8, b.length);
        out.writeBytes(b);
    }
}
