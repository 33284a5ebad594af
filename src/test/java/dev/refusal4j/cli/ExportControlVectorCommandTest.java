package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.gguf.MiniGgufReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ExportControlVectorCommandTest {
    @TempDir
    Path tmp;

    private Path direction(Map<String, String> meta) throws IOException {
        float[] v = new float[16];
        for (int i = 0; i < v.length; i++) v[i] = (i % 5) - 1.75f;
        Path f = tmp.resolve("direction.safetensors");
        new RefusalDirection(v, 9, -2, meta).write(f);
        return f;
    }

    /**
     * Emulates llama.cpp's loader (common_control_vector_load_one + llama_adapter_cvec::apply) on the
     * written file: direction.N (N ≥ 1, F32, 1-D, one width) lands in slot N, and slot il is added to
     * the output of block il. Checks that slot l-1 holds scale·r exactly for every requested layer l.
     */
    @Test
    void writesWhatLlamaCppAddsAtTheRightLayers() throws IOException {
        Path dir = direction(Map.of("model_type", "qwen2"));
        Path out = tmp.resolve("cv.gguf");
        assertThat(Main.run("export-control-vector", "--direction", dir.toString(), "--layers", "4-6", "--scale", "-2", "--out", out.toString())).isZero();
        MiniGgufReader r = new MiniGgufReader(out);
        assertThat(r.version).isEqualTo(3);
        assertThat(r.kv).containsEntry("general.architecture", "controlvector").containsEntry("controlvector.model_hint", "qwen2")
                .containsEntry("controlvector.layer_count", 5L).containsEntry("general.alignment", 32L);
        assertThat(r.kvType.get("controlvector.layer_count")).as("int32, as llama.cpp's cvector-generator writes it").isEqualTo(5);
        float[] want = RefusalDirection.read(dir).vector().clone();
        for (int i = 0; i < want.length; i++) want[i] *= -2f;
        Map<Integer, float[]> slots = new HashMap<>();
        for (MiniGgufReader.TensorInfo t : r.tensors) {
            assertThat(t.name()).startsWith("direction.");
            int n = Integer.parseInt(t.name().substring("direction.".length()));
            assertThat(n).isGreaterThanOrEqualTo(1);
            assertThat(t.type()).isZero();
            assertThat(t.ne()).containsExactly(16);
            slots.put(n, r.floats(t));
        }
        assertThat(slots.keySet()).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
        for (int l = 4; l <= 6; l++) assertThat(slots.get(l - 1)).as("refusal4j layer " + l).containsExactly(want);
        for (int n = 1; n <= 2; n++) assertThat(slots.get(n)).as("unsteered slot " + n).containsOnly(0f);
    }

    @Test
    void refusesLayersLlamaCppCannotSteerAndMissingHint() throws IOException {
        Path dir = direction(Map.of());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int rc1, rc2, rc3;
        try {
            System.setErr(new PrintStream(err, true));
            rc1 = Main.run("export-control-vector", "--direction", dir.toString(), "--layers", "1-3", "--model-hint", "llama", "--out", tmp.resolve("a.gguf").toString());
            rc2 = Main.run("export-control-vector", "--direction", dir.toString(), "--layers", "3-5", "--out", tmp.resolve("b.gguf").toString());
            rc3 = Main.run("export-control-vector", "--direction", dir.toString(), "--layers", "x", "--model-hint", "llama", "--out", tmp.resolve("c.gguf").toString());
        } finally {
            System.setErr(old);
        }
        assertThat(rc1).isEqualTo(1);
        assertThat(rc2).isEqualTo(1);
        assertThat(rc3).isEqualTo(1);
        assertThat(err.toString()).contains("layer 1 cannot be steered by llama.cpp").contains("pass --model-hint").contains("--layers 'x'");
        assertThat(Files.exists(tmp.resolve("a.gguf")) || Files.exists(tmp.resolve("b.gguf"))).isFalse();
    }
}
