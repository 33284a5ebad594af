package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AbliterateCommandTest {
    @TempDir
    Path tmp;

    @Test
    void exportsAndRefusesAnExistingOutputWithoutForce() throws Exception {
        float[] v = new float[64];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.sin(i + 1);
        Path dir = tmp.resolve("direction.safetensors");
        new RefusalDirection(v, 1, -3, Map.of("model", "golden/llama")).write(dir);
        Path out = tmp.resolve("out");
        String model = Shared.path("golden", "llama").toString();
        assertThat(Main.run("abliterate", "--model", model, "--direction", dir.toString(), "--out", out.toString(), "--quiet")).isZero();
        try (ModelFiles f = ModelFiles.open(out)) {
            assertThat(f.files().get(0).metadata()).containsEntry("refusal4j.direction.position", "-3").containsEntry("refusal4j.direction.model", "golden/llama");
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int again, missing;
        try {
            System.setErr(new PrintStream(err, true));
            again = Main.run("abliterate", "--model", model, "--direction", dir.toString(), "--out", out.toString(), "--quiet");
            missing = Main.run("abliterate", "--model", model, "--direction", tmp.resolve("nope.safetensors").toString(), "--out", tmp.resolve("o2").toString());
        } finally {
            System.setErr(old);
        }
        assertThat(again).isEqualTo(1);
        assertThat(missing).isEqualTo(1);
        assertThat(err.toString()).contains("error: output folder").contains("--force").contains("nope.safetensors");
        assertThat(Main.run("abliterate", "--model", model, "--direction", dir.toString(), "--out", out.toString(), "--quiet", "--force")).isZero();
    }
}
