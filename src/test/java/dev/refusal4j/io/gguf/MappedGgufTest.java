package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.tensor.quant.GgmlReference;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Shared;
import java.lang.foreign.Arena;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tensor reader against ggml: {@code gguf/tiny.gguf} was written with ggml's gguf API and
 * {@code tiny.gguf.json} is what ggml reads back from it (src/test/c/gguf_reference): every
 * metadata value type, arrays of each, one tensor of each dequantizable type, dequantized by ggml.
 * Then the same file cut at every byte, and llama.cpp's vocabulary files.
 */
class MappedGgufTest {
    @TempDir
    Path tmp;

    static Path tiny() throws Exception {
        return Path.of(MappedGgufTest.class.getResource("/gguf/tiny.gguf").toURI());
    }

    /** ggml's names of the metadata value types (gguf_type_name). */
    private static final Map<String, GgufType> GGML_NAMES = Map.ofEntries(
            Map.entry("u8", GgufType.UINT8), Map.entry("i8", GgufType.INT8), Map.entry("u16", GgufType.UINT16),
            Map.entry("i16", GgufType.INT16), Map.entry("u32", GgufType.UINT32), Map.entry("i32", GgufType.INT32),
            Map.entry("f32", GgufType.FLOAT32), Map.entry("bool", GgufType.BOOL), Map.entry("str", GgufType.STRING),
            Map.entry("arr", GgufType.ARRAY), Map.entry("u64", GgufType.UINT64), Map.entry("i64", GgufType.INT64),
            Map.entry("f64", GgufType.FLOAT64));

    /** A value as the reference JSON writes it: floats as their bits in hex, 64-bit integers in decimal. */
    private static String canonical(GgufType type, Object v) {
        return switch (type) {
            case FLOAT32 -> String.format("0x%08x", Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> String.format("0x%016x", Double.doubleToRawLongBits((Double) v));
            case UINT64 -> Long.toUnsignedString((Long) v);
            default -> String.valueOf(v);
        };
    }

    private static List<String> canonicalArray(GgufType element, Object array) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Array.getLength(array); i++) out.add(canonical(element, Array.get(array, i)));
        return out;
    }

    @Test
    void tinyFileReadsAsGgmlReadsIt() throws Exception {
        JsonNode ref = GgmlReference.json("/gguf/tiny.gguf.json");
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(tiny(), arena);
            GgufFile h = g.header();
            assertThat(h.version()).isEqualTo(ref.get("version").asInt());
            assertThat(h.alignment()).isEqualTo(ref.get("alignment").asLong());
            assertThat(h.dataOffset()).isEqualTo(ref.get("data_offset").asLong());

            assertThat(h.metadata().keySet()).containsExactlyElementsOf(ref.get("kv").findValuesAsText("key"));
            for (JsonNode kv : ref.get("kv")) {
                String key = kv.get("key").asText();
                GgufType type = GGML_NAMES.get(kv.get("type").asText());
                assertThat(h.types().get(key)).as(key).isEqualTo(type);
                if (type == GgufType.ARRAY) {
                    GgufType element = GGML_NAMES.get(kv.get("array_type").asText());
                    assertThat(h.elementTypes().get(key)).as(key).isEqualTo(element);
                    List<String> expected = new ArrayList<>();
                    kv.get("value").forEach(v -> expected.add(v.asText()));
                    assertThat(canonicalArray(element, h.get(key))).as(key).isEqualTo(expected);
                } else {
                    assertThat(canonical(type, h.get(key))).as(key).isEqualTo(kv.get("value").asText());
                }
            }
            assertThat(h.types().values()).as("every value type").containsAll(GGML_NAMES.values());
            assertThat(h.elementTypes().values()).as("arrays of every type").containsAll(
                    Stream.of(GgufType.values()).filter(t -> t != GgufType.ARRAY).toList());

            JsonNode tensors = ref.get("tensors");
            assertThat(g.tensors()).hasSize(tensors.size());
            for (int i = 0; i < tensors.size(); i++) {
                JsonNode e = tensors.get(i);
                GgufTensorInfo t = g.tensors().get(i);
                assertThat(t.name()).isEqualTo(e.get("name").asText());
                assertThat(t.type().ggmlName).isEqualTo(e.get("type").asText());
                assertThat(t.dims()).as(t.name()).hasSize(e.get("n_dims").asInt());
                for (int d = 0; d < 4; d++) {
                    assertThat(d < t.dims().length ? t.dims()[d] : 1).as(t.name() + " ne[" + d + "]").isEqualTo(e.get("ne").get(d).asLong());
                }
                assertThat(t.offset()).as(t.name()).isEqualTo(e.get("offset").asLong());
                assertThat(t.bytes()).as(t.name()).isEqualTo(e.get("size").asLong());
                assertThat(g.data(t).byteSize()).isEqualTo(t.bytes());

                int[] expected = GgmlReference.floatBits(e.get("output"));
                float[] all = g.dequantize(t);
                assertThat(GgmlReference.firstDifference(expected, all)).as(t.name() + ": first float that differs from ggml's").isEqualTo(-1);
                float[] row = new float[(int) t.rowLength()];
                for (long r = 0; r < t.rows(); r++) {
                    g.dequantizeRow(t, r, row, 0);
                    int[] part = Arrays.copyOfRange(expected, (int) (r * row.length), (int) ((r + 1) * row.length));
                    assertThat(GgmlReference.firstDifference(part, row)).as(t.name() + " row " + r).isEqualTo(-1);
                }
            }
            assertThat(g.tensors().stream().map(GgufTensorInfo::type).toList())
                    .containsExactlyInAnyOrderElementsOf(Stream.of(GgmlType.values()).filter(GgmlType::dequantizable).toList());
            assertThat(g.tensor("blk.10.q4_K").shape()).isEqualTo("[512, 2]");
            assertThatThrownBy(() -> g.tensor("nope")).hasMessageContaining("tiny.gguf: no tensor 'nope'");
        }
    }

    @Test
    void versionTwoHasTheSameLayout() throws Exception {
        byte[] bytes = Files.readAllBytes(tiny());
        bytes[4] = 2;
        Path f = Files.write(tmp.resolve("v2.gguf"), bytes);
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(f, arena);
            assertThat(g.header().version()).isEqualTo(2);
            assertThat(g.dequantize(g.tensor("blk.12.q6_K"))).hasSize(512);
        }
    }

    /**
     * Cut anywhere in its header or at a tensor's edge before the end of its last tensor, the file is refused with one line naming it;
     * past the header, read() (the header alone, as for a vocabulary) still succeeds but open()
     * reports the tensor that runs off the end. The padding after the last tensor may be missing,
     * as llama.cpp's loader allows.
     */
    @Test
    void aCutFileIsRefusedInOneLine() throws Exception {
        byte[] bytes = Files.readAllBytes(tiny());
        GgufFile h = GgufReader.read(tiny());
        long dataOffset = h.dataOffset();
        long end = dataOffset + h.tensors().stream().mapToLong(t -> t.offset() + t.bytes()).max().orElseThrow();
        assertThat(end).isLessThan(bytes.length);
        Path f = tmp.resolve("cut.gguf");
        long headerEnd = Long.MAX_VALUE;
        // every byte of the header and the bytes around each tensor's start and end
        java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>();
        for (int len = 0; len <= dataOffset; len++) cuts.add(len);
        for (GgufTensorInfo t : h.tensors()) {
            for (long at : new long[] {t.offset(), t.offset() + t.bytes()}) {
                for (int d = -1; d <= 1; d++) cuts.add((int) (dataOffset + at + d));
            }
        }
        cuts.add(bytes.length);
        for (int len : cuts) {
            Files.write(f, Arrays.copyOf(bytes, len));
            int cut = len;
            if (len >= end) {
                try (Arena arena = Arena.ofConfined()) {
                    assertThat(GgufReader.open(f, arena).tensors()).as("cut at " + cut).hasSize(13);
                }
                continue;
            }
            try (Arena arena = Arena.ofConfined()) {
                assertThatThrownBy(() -> GgufReader.open(f, arena)).as("cut at " + cut).isInstanceOf(GgufException.class)
                        .hasMessageStartingWith(f + ": ").hasMessageNotContaining("\n")
                        .hasMessageMatching(".*(truncated|past the end|more than the file holds).*");
            }
            if (len >= headerEnd) {
                assertThat(GgufReader.read(f).tensors()).as("cut at " + cut).hasSize(13);
            } else {
                try {
                    GgufReader.read(f);
                    headerEnd = len; // the header ends here: the rest before the data is padding
                    assertThat(headerEnd).isGreaterThan(dataOffset - h.alignment());
                } catch (GgufException e) {
                    assertThat(e.getMessage()).as("cut at " + cut).startsWith(f + ": ").doesNotContain("\n");
                }
            }
        }
        assertThat(headerEnd).isLessThanOrEqualTo(dataOffset);
    }

    @Test
    void tensorsRunningOffTheFileOrOverlappingAreRefused() throws Exception {
        byte[] bytes = Files.readAllBytes(tiny());
        Path f = tmp.resolve("short.gguf");
        Files.write(f, Arrays.copyOf(bytes, 1824 + 1888 + 419));
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> GgufReader.open(f, arena))
                    .hasMessageContaining("truncated: tensor 'blk.12.q6_K' (q6_K, 420 bytes at data offset 1888) runs past the end of the data section (2307 bytes)");
        }
        // the second tensor's offset (0 after its name, n_dims, dims and type) made equal to the first's
        int at = indexOf(bytes, "blk.1.f16".getBytes()) + 9 + 4 + 16 + 4;
        assertThat(bytes[at]).isEqualTo((byte) 32);
        bytes[at] = 0;
        Files.write(f, bytes);
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> GgufReader.open(f, arena)).hasMessageContaining("tensors 'blk.0.f32' [0, 28) and 'blk.1.f16' [0, 30) overlap");
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    /** An F32 file with a 64-byte alignment, written by the project's own writer. */
    @Test
    void alignmentOtherThanTheDefault() throws Exception {
        float[] a = {1.5f, -2f, 3.25f};
        Path f = tmp.resolve("a64.gguf");
        new GgufWriter().putUInt32("general.alignment", 64).addTensorF32("a", a, 3).addTensorF32("b", new float[] {7f}, 1).write(f);
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(f, arena);
            assertThat(g.header().alignment()).isEqualTo(64);
            assertThat(g.header().dataOffset() % 64).isZero();
            assertThat(g.tensor("b").offset()).isEqualTo(64);
            assertThat(g.dequantize(g.tensor("a"))).containsExactly(a);
            assertThat(g.dequantize(g.tensor("b"))).containsExactly(7f);
        }
    }

    /** llama.cpp's vocabulary files: metadata only, the same keys, types and values as the independent test reader finds. */
    @Test
    void llamaCppVocabularyFiles() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(Shared.path("tokenizers", "llamacpp"))) {
            files = s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(10);
        for (Path file : files) {
            GgufFile g = GgufReader.read(file);
            MiniGgufReader mini = new MiniGgufReader(file);
            assertThat(g.version()).as(file.toString()).isEqualTo(mini.version);
            assertThat(g.metadata().keySet()).as(file.toString()).containsExactlyElementsOf(mini.kv.keySet());
            for (String key : mini.kv.keySet()) {
                assertThat(g.types().get(key).ordinal()).as(file + " " + key).isEqualTo(mini.kvType.get(key));
                Object v = g.get(key), m = mini.kv.get(key);
                if (v.getClass().isArray()) {
                    assertThat(Array.getLength(v)).as(file + " " + key).isEqualTo(((List<?>) m).size());
                } else if (v instanceof Number n && m instanceof Number mn && !(v instanceof Float) && !(v instanceof Double)) {
                    assertThat(n.longValue()).as(file + " " + key).isEqualTo(mn.longValue());
                } else {
                    assertThat(v).as(file + " " + key).isEqualTo(m);
                }
            }
            assertThat(g.strings("tokenizer.ggml.tokens")).as(file.toString()).isNotEmpty();
            assertThat(g.elementTypes().get("tokenizer.ggml.tokens")).isEqualTo(GgufType.STRING);
            assertThat(g.tensors()).isEmpty();
            try (Arena arena = Arena.ofConfined()) {
                assertThat(GgufReader.open(file, arena).tensors()).isEmpty();
            }
        }
    }

    @Test
    void scalarAndEmptyTensors() throws Exception {
        Path f = tmp.resolve("shapes.gguf");
        new GgufWriter().addTensorF32("scalar", new float[] {2.5f}).addTensorF32("empty", new float[0], 0, 4).write(f);
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(f, arena);
            GgufTensorInfo scalar = g.tensor("scalar"), empty = g.tensor("empty");
            assertThat(scalar.dims()).isEmpty();
            assertThat(scalar.rows()).isEqualTo(1);
            assertThat(g.dequantize(scalar)).containsExactly(2.5f);
            assertThat(empty.shape()).isEqualTo("[0, 4]");
            assertThat(empty.rows()).isZero();
            assertThat(g.dequantize(empty)).isEmpty();
            assertThat(g.data(empty).byteSize()).isZero();
        }
    }

    /**
     * Damage anywhere — random bytes, or a count, length, dimension or offset field made huge,
     * negative or zero — gives a GgufException or a file that reads; never another exception.
     */
    @Test
    void randomDamageGivesOnlyGgufExceptions() throws Exception {
        byte[] clean = Files.readAllBytes(tiny());
        int header = (int) GgufReader.read(tiny()).dataOffset();
        java.util.Random random = new java.util.Random(2024);
        long[] extremes = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, 1L << 62, 255, 65536};
        Path f = tmp.resolve("damaged.gguf");
        int refused = 0;
        for (int trial = 0; trial < 1500; trial++) {
            byte[] b = clean.clone();
            for (int k = 0, n = 1 + random.nextInt(3); k < n; k++) {
                int at = random.nextInt(header);
                if (random.nextBoolean()) {
                    b[at] = (byte) random.nextInt(256);
                } else {
                    long v = extremes[random.nextInt(extremes.length)];
                    for (int j = 0; j < 8 && at + j < b.length; j++) b[at + j] = (byte) (v >>> (8 * j));
                }
            }
            Files.write(f, b);
            try (Arena arena = Arena.ofConfined()) {
                MappedGguf g = GgufReader.open(f, arena);
                for (GgufTensorInfo t : g.tensors()) {
                    if (t.type().dequantizable() && t.elements() < 1 << 20) g.dequantize(t);
                }
            } catch (GgufException e) {
                refused++;
                assertThat(e.getMessage()).as("trial " + trial).startsWith(f + ": ").doesNotContain("\n");
            }
        }
        assertThat(refused).isGreaterThan(500);
    }

    /** A type ggml knows but refusal4j does not decode (iq2_xxs) maps and lists; dequantizing it is one clear error. */
    @Test
    void aTypeWithoutDecoderIsNamed() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 + 8 + 8 + 8 + 2 + 4 + 8 + 4 + 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x46554747).putInt(3).putLong(1).putLong(0);
        b.putLong(2).put("iq".getBytes()).putInt(1).putLong(256).putInt(16).putLong(0);
        out.write(b.array());
        out.write(new byte[32 - out.size() % 32 + 66]); // padding to the data section, then one 66-byte block
        Path f = Files.write(tmp.resolve("iq.gguf"), out.toByteArray());
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(f, arena);
            GgufTensorInfo t = g.tensor("iq");
            assertThat(t.type()).isEqualTo(GgmlType.IQ2_XXS);
            assertThat(g.data(t).byteSize()).isEqualTo(66);
            assertThatThrownBy(() -> g.dequantize(t)).isInstanceOf(GgufException.class)
                    .hasMessage(f + ": tensor 'iq' is iq2_xxs, which refusal4j cannot dequantize (it reads f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, bf16)");
        }
    }
}
