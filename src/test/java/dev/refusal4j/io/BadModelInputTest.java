package dev.refusal4j.io;

import dev.refusal4j.cli.Main;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every kind of damaged model gets an error that names the file and the tensor or key at fault. */
class BadModelInputTest {
    @TempDir
    Path tmp;
    Path model;
    Path weights;

    @BeforeEach
    void copyGoldenModel() throws IOException {
        model = tmp.resolve("m");
        Files.createDirectories(model);
        Path src = Shared.path("golden", "llama");
        Files.copy(src.resolve("config.json"), model.resolve("config.json"));
        Files.copy(src.resolve("model.safetensors"), model.resolve("model.safetensors"));
        weights = model.resolve("model.safetensors");
    }

    private void expectLoadError(String... fragments) {
        assertThatThrownBy(() -> Transformer.load(model).close())
                .isInstanceOf(ModelFormatException.class)
                .satisfies(e -> { for (String f : fragments) assertThat(e.getMessage()).contains(f); });
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] b = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(b, b.length - 100));
        expectLoadError("model.safetensors", "outside the data area", "truncated");
    }

    @Test
    void fileShorterThanLengthField() throws IOException {
        Files.write(weights, new byte[] {1, 2, 3});
        expectLoadError("model.safetensors", "truncated");
    }

    @Test
    void headerLengthBeyondFile() throws IOException {
        byte[] b = Files.readAllBytes(weights);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, b.length + 10L);
        Files.write(weights, b);
        expectLoadError("model.safetensors", "header length", "beyond the end of the file");
    }

    @Test
    void headerIsNotJson() throws IOException {
        byte[] b = Files.readAllBytes(weights);
        b[8] = 'x'; // the opening brace
        Files.write(weights, b);
        expectLoadError("model.safetensors", "not valid JSON");
    }

    /** Rewrites the JSON header in place (same length, padded with spaces). */
    private void editHeader(UnaryOperator<String> edit) throws IOException {
        byte[] b = Files.readAllBytes(weights);
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String h = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        String e = edit.apply(h);
        assertThat(e).isNotEqualTo(h);
        byte[] eb = e.getBytes(StandardCharsets.UTF_8);
        assertThat(eb.length).isLessThanOrEqualTo((int) n);
        byte[] padded = new byte[(int) n];
        java.util.Arrays.fill(padded, (byte) ' ');
        System.arraycopy(eb, 0, padded, 0, eb.length);
        System.arraycopy(padded, 0, b, 8, (int) n);
        Files.write(weights, b);
    }

    @Test
    void overlappingOffsets() throws IOException {
        // Point model.norm.weight (64 floats) at the bytes of the first tensor.
        editHeader(h -> h.replaceFirst("(\"model\\.norm\\.weight\":\\{[^}]*\"data_offsets\":\\[)\\d+,\\d+", "$10,256"));
        expectLoadError("model.safetensors", "overlap", "model.norm.weight");
    }

    @Test
    void offsetsOutsideTheData() throws IOException {
        editHeader(h -> h.replaceFirst("(\"model\\.norm\\.weight\":\\{[^}]*\"data_offsets\":\\[)\\d+,\\d+", "$10,9999999"));
        expectLoadError("model.safetensors", "model.norm.weight", "outside the data area");
    }

    @Test
    void offsetsDisagreeWithShape() throws IOException {
        editHeader(h -> h.replaceFirst("(\"model\\.norm\\.weight\":\\{[^}]*\"shape\":\\[)64", "$163"));
        expectLoadError("model.safetensors", "model.norm.weight", "needs 252 bytes");
    }

    /** JSON numbers that are not whole used to be truncated ("data_offsets": [0.5, 4] read as [0, 4], a size 64.5 as 64). */
    @Test
    void fractionalOffsetsAndSizes() throws IOException {
        // the metadata entry goes, to make room in the header for the longer numbers
        editHeader(h -> h.replace(",\"__metadata__\":{\"format\":\"pt\"}", "")
                .replaceFirst("(\"model\\.norm\\.weight\":\\{[^}]*\"data_offsets\":\\[)(\\d+)", "$1$2.5"));
        expectLoadError("model.safetensors", "model.norm.weight", "'data_offsets' must be [begin, end], two whole numbers");
        copyGoldenModelAgain();
        editHeader(h -> h.replace(",\"__metadata__\":{\"format\":\"pt\"}", "")
                .replaceFirst("(\"model\\.norm\\.weight\":\\{[^}]*\"shape\":\\[)64", "$164.5"));
        expectLoadError("model.safetensors", "model.norm.weight", "invalid shape [64.5]");
    }

    private void copyGoldenModelAgain() throws IOException {
        Files.delete(weights);
        Files.copy(Shared.path("golden", "llama", "model.safetensors"), weights);
    }

    private void rewrite(UnaryOperator<List<SafetensorsWriter.Source>> edit) throws IOException {
        List<SafetensorsWriter.Source> sources = new ArrayList<>();
        Path copy = tmp.resolve("orig.safetensors");
        Files.move(weights, copy);
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(copy, arena);
            for (TensorInfo t : f.tensors().values()) sources.add(SafetensorsWriter.copy(t.name(), t.dtype(), t.shape(), f.segment(t)));
            SafetensorsWriter.write(weights, edit.apply(sources), Map.of());
        }
    }

    @Test
    void missingTensor() throws IOException {
        rewrite(s -> { s.removeIf(t -> t.name().equals("model.layers.1.mlp.up_proj.weight")); return s; });
        expectLoadError("model.layers.1.mlp.up_proj.weight", "missing");
    }

    @Test
    void unexpectedTensor() throws IOException {
        rewrite(s -> { s.add(SafetensorsWriter.f32("model.layers.2.mlp.up_proj.weight", new float[4], 2, 2)); return s; });
        expectLoadError("model.safetensors", "unexpected tensor 'model.layers.2.mlp.up_proj.weight'");
    }

    @Test
    void shapeDisagreesWithConfig() throws IOException {
        String cfg = Files.readString(model.resolve("config.json")).replace("\"intermediate_size\": 128", "\"intermediate_size\": 96");
        Files.writeString(model.resolve("config.json"), cfg);
        expectLoadError("model.safetensors", "gate_proj.weight", "[128, 64]", "[96, 64]");
    }

    @Test
    void dtypeTheKernelsCannotRead() throws IOException {
        rewrite(s -> {
            s.replaceAll(t -> t.name().equals("model.norm.weight") ? new SafetensorsWriter.Source() {
                public String name() { return t.name(); }
                public String dtype() { return "I32"; }
                public long[] shape() { return t.shape(); }
                public void writeTo(java.nio.channels.FileChannel out) throws IOException { t.writeTo(out); }
            } : t);
            return s;
        });
        expectLoadError("model.norm.weight", "dtype I32");
    }

    @Test
    void unsupportedArchitecture() throws IOException {
        Files.writeString(model.resolve("config.json"), Files.readString(model.resolve("config.json")).replace("LlamaForCausalLM", "FalconForCausalLM"));
        expectLoadError("config.json", "unsupported architecture 'FalconForCausalLM'");
    }

    @Test
    void indexNamesAMissingShard() throws IOException {
        Files.writeString(model.resolve(ModelFiles.INDEX), "{\"metadata\":{},\"weight_map\":{\"model.norm.weight\":\"model-00002-of-00002.safetensors\"}}");
        Files.delete(weights);
        expectLoadError(ModelFiles.INDEX, "model-00002-of-00002.safetensors", "missing");
    }

    @Test
    void nanInAWeightWhenValidating() throws IOException {
        rewrite(s -> {
            float[] w = new float[64];
            java.util.Arrays.fill(w, 1f);
            w[17] = Float.NaN;
            s.replaceAll(t -> t.name().equals("model.norm.weight") ? SafetensorsWriter.f32(t.name(), w, 64) : t);
            return s;
        });
        try (Transformer m = Transformer.load(model)) { // loads: values are not read at load time
            assertThatThrownBy(() -> WeightValidator.requireFinite(m.files()))
                    .hasMessageContaining("model.norm.weight").hasMessageContaining("NaN").hasMessageContaining("index 17");
        }
        // and through the CLI: a clear message and a non-zero exit
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true));
            rc = Main.commandLine("forward").setErr(new java.io.PrintWriter(err, true))
                    .setExecutionExceptionHandler((ex, cmd, pr) -> { cmd.getErr().println("error: " + ex.getMessage()); return 1; })
                    .execute("forward", "--model", model.toString(), "--ids", "1,2", "--validate", "--out", tmp.resolve("o.safetensors").toString());
        } finally {
            System.setErr(old);
        }
        assertThat(rc).isNotZero();
        assertThat(err.toString()).contains("model.norm.weight");
        assertThat(tmp.resolve("o.safetensors")).doesNotExist();
    }

    @Test
    void shardedModelLoadsLikeTheSingleFile() throws IOException {
        // Split the golden model into two shards with an index; logits must be identical.
        float[] ref;
        try (Transformer m = Transformer.load(model)) {
            ref = m.forward(Forward.of(new int[] {3, 1, 4, 1, 5}));
        }
        Path sharded = tmp.resolve("sharded");
        Files.createDirectories(sharded);
        Files.copy(model.resolve("config.json"), sharded.resolve("config.json"));
        StringBuilder map = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(weights, arena);
            List<SafetensorsWriter.Source> a = new ArrayList<>(), b = new ArrayList<>();
            int i = 0;
            for (TensorInfo t : f.tensors().values()) {
                String shard = i++ % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (shard.contains("00001-") ? a : b).add(SafetensorsWriter.copy(t.name(), t.dtype(), t.shape(), f.segment(t)));
                map.append(map.isEmpty() ? "" : ",").append('"').append(t.name()).append("\":\"").append(shard).append('"');
            }
            SafetensorsWriter.write(sharded.resolve("model-00001-of-00002.safetensors"), a, Map.of("format", "pt"));
            SafetensorsWriter.write(sharded.resolve("model-00002-of-00002.safetensors"), b, Map.of("format", "pt"));
        }
        Files.writeString(sharded.resolve(ModelFiles.INDEX), "{\"metadata\":{\"total_size\":0},\"weight_map\":{" + map + "}}");
        try (Transformer m = Transformer.load(sharded)) {
            assertThat(((ModelFiles) m.files()).files()).hasSize(2);
            float[] got = m.forward(Forward.of(new int[] {3, 1, 4, 1, 5}));
            assertThat(got).containsExactly(ref);
        }
    }
}
