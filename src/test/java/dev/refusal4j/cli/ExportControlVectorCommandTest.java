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

    private record Run(int rc, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        try {
            System.setErr(new PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            return new Run(Main.run(args), err.toString(java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            System.setErr(old);
        }
    }

    /** A model folder (golden llama-gqa: 3 layers, hidden 64) and a direction as `run` writes it: "model" names the folder, no model_type. */
    private Path[] runDirection(float value) throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.copy(dev.refusal4j.testutil.Shared.path("golden", "llama-gqa", "config.json"), model.resolve("config.json"));
        float[] v = new float[64];
        java.util.Arrays.fill(v, 0.25f);
        v[7] = value;
        Path run = Files.createDirectories(tmp.resolve("run"));
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("model", model.toString());
        meta.put("bypass_score", "-3.0");
        new RefusalDirection(v, 2, -1, meta).write(run.resolve("direction.safetensors"));
        return new Path[] {model, run.resolve("direction.safetensors")};
    }

    /** run's direction.safetensors names the model folder, not its type: the type and layer count come from that folder's config.json. */
    @Test
    void worksFromTheDirectionThatRunWritesWithoutAHint() throws IOException {
        Path[] md = runDirection(0.5f);
        Path out = tmp.resolve("cv.gguf");
        Run r = run("export-control-vector", "--direction", md[1].toString(), "--layers", "2", "--out", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(new MiniGgufReader(out).kv).containsEntry("controlvector.model_hint", "llama");

        Run beyond = run("export-control-vector", "--direction", md[1].toString(), "--layers", "2-3", "--out", tmp.resolve("b.gguf").toString());
        assertThat(beyond.rc()).isEqualTo(1);
        assertThat(beyond.err()).contains("--layers '2-3'").contains("layer 3 does not exist").contains(md[0].resolve("config.json").toString()).contains("0-2");

        Files.delete(md[0].resolve("config.json")); // the model folder moved away since the run
        Run gone = run("export-control-vector", "--direction", md[1].toString(), "--layers", "2", "--out", tmp.resolve("c.gguf").toString());
        assertThat(gone.rc()).isEqualTo(1);
        assertThat(gone.err()).contains(md[1].toString()).contains("'model' = " + md[0]).contains("has no config.json").contains("pass --model-hint").contains("--model DIR");
        assertThat(tmp.resolve("b.gguf")).doesNotExist();
        assertThat(tmp.resolve("c.gguf")).doesNotExist();
    }

    /** abliterate rejected the same file; the GGUF used to carry the NaN to llama.cpp. */
    @Test
    void rejectsANonFiniteDirection() throws IOException {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path[] md = runDirection(bad);
            Path out = tmp.resolve("nan.gguf");
            Run r = run("export-control-vector", "--direction", md[1].toString(), "--layers", "2", "--model-hint", "llama", "--out", out.toString());
            assertThat(r.rc()).isEqualTo(1);
            assertThat(r.err()).contains(md[1].toString()).contains("holds " + bad + " at index 7").hasLineCount(1);
            assertThat(out).doesNotExist();
            dev.refusal4j.io.AtomicFiles.deleteRecursively(md[0]); // the next value starts from a fresh model and run folder
            dev.refusal4j.io.AtomicFiles.deleteRecursively(md[1].getParent());
        }
    }

    /** --layers 2-2000000000 used to run until the heap was full. */
    @Test
    void aLayerRangeBeyondAnyModelIsRefusedAtOnce() throws IOException {
        Path dir = direction(Map.of("model_type", "qwen2"));
        Path out = tmp.resolve("huge.gguf");
        Run r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () ->
                run("export-control-vector", "--direction", dir.toString(), "--layers", "2-2000000000", "--out", out.toString()));
        assertThat(r.rc()).isEqualTo(1);
        assertThat(r.err()).contains("--layers '2-2000000000'").contains("0-1023").contains("--model");
        Run tooBig = run("export-control-vector", "--direction", dir.toString(), "--layers", "2-99999999999", "--out", out.toString());
        assertThat(tooBig.rc()).isEqualTo(1);
        assertThat(tooBig.err()).contains("is not A-B or A");
        Run reversed = run("export-control-vector", "--direction", dir.toString(), "--layers", "6-4", "--out", out.toString());
        assertThat(reversed.err()).contains("is empty");
        assertThat(out).doesNotExist();
    }

    @Test
    void neverWritesOverTheDirectionOrIntoTheModel() throws IOException {
        Path[] md = runDirection(0.5f);
        byte[] before = Files.readAllBytes(md[1]);
        Run over = run("export-control-vector", "--direction", md[1].toString(), "--layers", "2", "--out", md[1].toString(), "--force");
        assertThat(over.rc()).isEqualTo(1);
        assertThat(over.err()).contains("is the input direction file");
        assertThat(Files.readAllBytes(md[1])).isEqualTo(before);
        Run into = run("export-control-vector", "--direction", md[1].toString(), "--model", md[0].toString(), "--layers", "2",
                "--out", md[0].resolve("cv.gguf").toString());
        assertThat(into.rc()).isEqualTo(1);
        assertThat(into.err()).contains("inside the input model folder");
    }
}
