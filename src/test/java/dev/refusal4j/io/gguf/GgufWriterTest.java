package dev.refusal4j.io.gguf;

import dev.refusal4j.tensor.quant.BlockQ8_0;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Shared;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufWriterTest {
    @TempDir
    Path tmp;

    /** The test reader itself is checked on a real file written by llama.cpp's tools. */
    @Test
    void testReaderParsesARealLlamaCppFile() throws IOException {
        MiniGgufReader r = new MiniGgufReader(Shared.path("tokenizers", "llamacpp", "ggml-vocab-llama-spm.gguf"));
        assertThat(r.version).isEqualTo(3);
        assertThat(r.kv.get("general.architecture")).isEqualTo("llama");
        assertThat((List<?>) r.kv.get("tokenizer.ggml.tokens")).hasSize(32000);
        assertThat(((List<?>) r.kv.get("tokenizer.ggml.tokens")).get(1)).isEqualTo("<s>");
    }

    /**
     * tiny.gguf, written by ggml's gguf API (every metadata value type, arrays of each, a tensor of
     * each type), copied key by key with {@link GgufWriter#putValue} and tensor by tensor through
     * streamed writers, is the same file byte for byte: the same layout as ggml's writer.
     */
    @Test
    void copiesAFileGgmlWroteByteForByte() throws IOException, java.net.URISyntaxException {
        Path in = Path.of(GgufWriterTest.class.getResource("/gguf/tiny.gguf").toURI());
        Path out = tmp.resolve("copy.gguf");
        GgufWriter w = new GgufWriter();
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(in, arena);
            GgufFile h = g.header();
            for (String k : h.metadata().keySet()) w.putValue(k, h.types().get(k), h.elementTypes().get(k), h.metadata().get(k));
            for (GgufTensorInfo t : g.tensors()) {
                byte[] bytes = g.data(t).toArray(ValueLayout.JAVA_BYTE);
                w.addTensor(t.name(), t.type(), t.dims(), ch -> ch.write(java.nio.ByteBuffer.wrap(bytes)));
            }
            w.write(out);
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(in));
    }

    @Test
    void aStreamedTensorOfTheWrongSizeIsAnError() {
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {4}, ch -> ch.write(java.nio.ByteBuffer.allocate(12)));
        assertThatThrownBy(() -> w.write(tmp.resolve("bad.gguf"))).hasMessageContaining("tensor 't': 12 bytes written, 16 expected for f32[4]");
        assertThat(tmp.resolve("bad.gguf")).doesNotExist();
    }

    @Test
    void roundTripsEveryFieldAndTensorBytes() throws IOException {
        float[] a = {1.5f, -2f, 3.25f}; // 12 bytes: forces padding between and after tensors
        float[] b = new float[10];
        for (int i = 0; i < b.length; i++) b[i] = i * 0.125f - 1;
        Path f = tmp.resolve("x.gguf");
        new GgufWriter()
                .putString("general.architecture", "controlvector")
                .putUInt32("general.alignment", 32)
                .putUInt32("u", 4_000_000_000L)
                .putInt32("i", -7)
                .putFloat32("f", 0.5f)
                .putBool("b", true)
                .putString("unicode", "Grüße ✓")
                .putStringArray("sa", List.of("x", "", "yz"))
                .putInt32Array("ia", new int[] {1, -2, 3})
                .putFloat32Array("fa", new float[] {0.25f})
                .addTensorF32("direction.1", a, 3)
                .addTensorF32("m", b, 5, 2)
                .write(f);
        MiniGgufReader r = new MiniGgufReader(f);
        assertThat(r.version).isEqualTo(3);
        assertThat(r.kv).containsEntry("general.architecture", "controlvector").containsEntry("general.alignment", 32L)
                .containsEntry("u", 4_000_000_000L).containsEntry("i", -7L).containsEntry("f", 0.5f).containsEntry("b", true)
                .containsEntry("unicode", "Grüße ✓").containsEntry("sa", List.of("x", "", "yz"))
                .containsEntry("ia", List.of(1L, -2L, 3L)).containsEntry("fa", List.of(0.25f));
        assertThat(r.kvType).containsEntry("general.alignment", 4).containsEntry("i", 5).containsEntry("f", 6).containsEntry("sa", 9);
        assertThat(r.tensors).hasSize(2);
        assertThat(r.tensors.get(0).name()).isEqualTo("direction.1");
        assertThat(r.tensors.get(0).ne()).containsExactly(3);
        assertThat(r.tensors.get(1).ne()).containsExactly(5, 2);
        assertThat(r.tensors.get(1).offset()).isEqualTo(32);
        assertThat(r.dataStart % 32).isZero();
        assertThat(r.floats(r.tensors.get(0))).containsExactly(a);
        assertThat(r.floats(r.tensors.get(1))).containsExactly(b);
        assertThat(Files.size(f)).as("the last tensor is padded too").isEqualTo(r.dataStart + 32 + 64);
    }

    /** Tensors of any ggml type go in as their blocks and come back through the reader as those blocks. */
    @Test
    void writesTensorsOfAnyTypeAsTheirBlocks() throws IOException {
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        byte[] q8 = new byte[2 * BlockQ8_0.BYTES];
        BlockQ8_0.quantize(x, 0, q8, 0);
        BlockQ8_0.quantize(x, 32, q8, BlockQ8_0.BYTES);
        byte[] half = new byte[6];
        for (int i = 0; i < 3; i++) {
            short h = Float.floatToFloat16(x[i]);
            half[2 * i] = (byte) h;
            half[2 * i + 1] = (byte) (h >> 8);
        }
        Path f = tmp.resolve("typed.gguf");
        new GgufWriter().putUInt16("split.no", 3).addTensor("q", GgmlType.Q8_0, q8, 32, 2).addTensor("h", GgmlType.F16, half, 3).write(f);
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(f, arena);
            assertThat(g.header().integer("split.no")).isEqualTo(3);
            assertThat(g.header().types()).containsEntry("split.no", GgufType.UINT16);
            assertThat(g.tensor("q").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(g.data(g.tensor("q")).toArray(ValueLayout.JAVA_BYTE)).containsExactly(q8);
            float[] back = g.dequantize(g.tensor("q"));
            for (int i = 0; i < x.length; i++) assertThat(back[i]).isCloseTo(x[i], org.assertj.core.data.Offset.offset(0.01f));
            assertThat(g.dequantize(g.tensor("h"))).containsExactly(Float.float16ToFloat(Float.floatToFloat16(x[0])),
                    Float.float16ToFloat(Float.floatToFloat16(x[1])), Float.float16ToFloat(Float.floatToFloat16(x[2])));
        }
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.addTensor("t", GgmlType.Q8_0, new byte[34], 16, 2)).hasMessageContaining("rows of 16 are not whole q8_0 blocks of 32");
        assertThatThrownBy(() -> w.addTensor("t", GgmlType.Q8_0, new byte[33], 32)).hasMessageContaining("33 bytes for q8_0[32]");
    }

    @Test
    void rejectsDuplicatesAndBadShapes() {
        GgufWriter w = new GgufWriter().putString("k", "v");
        assertThatThrownBy(() -> w.putInt32("k", 1)).hasMessageContaining("duplicate GGUF key 'k'");
        assertThatThrownBy(() -> w.addTensorF32("t", new float[3], 4)).hasMessageContaining("3 values for shape [4]");
        assertThatThrownBy(() -> w.putUInt32("u", -1)).hasMessageContaining("does not fit a uint32");
    }
}
