package dev.refusal4j.tensor.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * Reads the reference data under src/test/resources/gguf, written by ggml itself
 * (src/test/c/gguf_reference): byte strings and floats are hex of their little-endian bytes.
 */
public final class GgmlReference {
    private GgmlReference() {}

    /** One case of a type's reference file: its name, element count, ggml's blocks and the float bits ggml dequantizes them to. */
    public record Case(String name, int elements, byte[] blocks, int[] output) {}

    /** The cases of a reference file, in file order. */
    public static java.util.List<Case> cases(JsonNode ref) {
        java.util.List<Case> out = new java.util.ArrayList<>();
        for (JsonNode c : ref.get("cases")) {
            out.add(new Case(c.get("name").asText(), c.get("elements").asInt(), bytes(c.get("blocks")), floatBits(c.get("output"))));
        }
        return out;
    }

    public static JsonNode json(String resource) {
        try (InputStream in = GgmlReference.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing test resource " + resource);
            return JsonMapper.builder().build().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] bytes(JsonNode hex) {
        return HexFormat.of().parseHex(hex.asText());
    }

    /** The float bit patterns of a hex string of little-endian float32s. */
    public static int[] floatBits(JsonNode hex) {
        ByteBuffer b = ByteBuffer.wrap(bytes(hex)).order(ByteOrder.LITTLE_ENDIAN);
        int[] bits = new int[b.remaining() / 4];
        for (int i = 0; i < bits.length; i++) bits[i] = b.getInt();
        return bits;
    }

    /** Index of the first float whose bits differ from {@code expected}, or -1. */
    public static int firstDifference(int[] expected, float[] actual) {
        if (expected.length != actual.length) return Math.min(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != expected[i]) return i;
        }
        return -1;
    }
}
