package dev.refusal4j.cli;

import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code refusal4j forward}: the file outside checks read, against the model called directly. */
class ForwardCommandTest {
    static final int[] IDS = {1, 9, 40, 2, 77};

    @TempDir
    Path tmp;

    @Test
    void writesTheLogitsAndEveryMatchedHookInFiringOrderWithoutTheBatchDimension() throws Exception {
        Path model = Shared.path("golden", "qwen3-hd32"), out = tmp.resolve("f.safetensors");
        assertThat(Main.run("forward", "--model", model.toString(), "--ids", "1,9,40,2,77", "--hooks", "blocks.1.*,hook_embed", "--out", out.toString())).isZero();
        try (Transformer m = Transformer.load(model); Arena arena = Arena.ofConfined()) {
            List<String> fired = new ArrayList<>();
            List<float[]> values = new ArrayList<>();
            float[] logits = m.forward(Forward.of(IDS).hooks(new Hooks().add("hook_embed", a -> { fired.add(a.name); values.add(a.copy()); })
                    .add("blocks.1.*", a -> { fired.add(a.name); values.add(a.copy()); })));
            SafetensorsFile f = SafetensorsFile.open(out, arena);
            assertThat(f.tensors().keySet()).containsExactlyElementsOf(concat("logits", fired));
            assertThat(floats(f, "logits")).containsExactly(logits);
            for (int i = 0; i < fired.size(); i++) assertThat(floats(f, fired.get(i))).as(fired.get(i)).containsExactly(values.get(i));
            int T = IDS.length;
            assertThat(f.tensors().get("logits").shape()).containsExactly(T, m.config.vocab);
            assertThat(f.tensors().get("blocks.1.hook_resid_pre").shape()).containsExactly(T, m.config.hidden);
            assertThat(f.tensors().get("blocks.1.attn.hook_z").shape()).containsExactly(T, m.config.qDim());
            assertThat(f.tensors().get("blocks.1.attn.hook_pattern").shape()).containsExactly(m.config.heads, T, T);
        }
    }

    @Test
    void aGlobThatNamesNoHookPointIsAnError() throws Exception {
        Path model = Shared.path("golden", "qwen3-hd32");
        assertThat(Main.run("forward", "--model", model.toString(), "--ids", "1,2", "--hooks", "blocks.*.resid_pre",
                "--out", tmp.resolve("f.safetensors").toString())).isNotZero();
        assertThat(tmp.resolve("f.safetensors")).doesNotExist();
    }

    /** forward used to exit 0 after replacing the model's weights with its logits file. */
    @Test
    void refusesToWriteIntoOrOverTheModelFolder() throws Exception {
        Path model = java.nio.file.Files.createDirectories(tmp.resolve("model"));
        Path golden = Shared.path("golden", "qwen3-hd32");
        for (String f : new String[] {"config.json", "model.safetensors"}) java.nio.file.Files.copy(golden.resolve(f), model.resolve(f));
        byte[] before = java.nio.file.Files.readAllBytes(model.resolve("model.safetensors"));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream saved = System.err;
        int rc;
        try {
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            rc = Main.run("forward", "--model", model.toString(), "--ids", "1,2", "--out", model.resolve("model.safetensors").toString());
        } finally {
            System.setErr(saved);
        }
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("--out " + model.resolve("model.safetensors"))
                .contains("inside the input model folder " + model);
        assertThat(java.nio.file.Files.readAllBytes(model.resolve("model.safetensors"))).isEqualTo(before);
        try (var s = java.nio.file.Files.list(model)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("config.json", "model.safetensors");
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> out = new ArrayList<>(List.of(first));
        out.addAll(rest);
        return out;
    }

    private static float[] floats(SafetensorsFile f, String name) {
        TensorInfo t = f.tensors().get(name);
        long n = 1;
        for (long d : t.shape()) n *= d;
        return new Matrix(f.segment(t), DType.F32, 1, (int) n).toFloats();
    }
}
