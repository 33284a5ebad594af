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

    /**
     * Outputs get the permissions a plain file or folder gets under the user's umask: they used to
     * be rw-r--r-- whatever the umask (files) and owner-only (abliterate's folder).
     */
    @Test
    void outputsFollowTheUmask() throws Exception {
        float[] v = new float[64];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.cos(i);
        Path dir = tmp.resolve("direction.safetensors");
        new RefusalDirection(v, 1, -1, Map.of()).write(dir);
        String model = Shared.path("golden", "llama").toString();
        for (String umask : new String[] {"002", "077"}) {
            Path out = tmp.resolve("abl" + umask), logits = tmp.resolve("f" + umask + ".safetensors");
            run(umask, "abliterate", "--model", model, "--direction", dir.toString(), "--out", out.toString(), "--quiet");
            run(umask, "forward", "--model", model, "--ids", "1,2", "--out", logits.toString());
            String file = umask.equals("002") ? "rw-rw-r--" : "rw-------", folder = umask.equals("002") ? "rwxrwxr-x" : "rwx------";
            assertThat(perms(logits)).as("forward's file, umask " + umask).isEqualTo(file);
            assertThat(perms(out)).as("abliterate's folder, umask " + umask).isEqualTo(folder);
            assertThat(perms(out.resolve("model.safetensors"))).as("abliterate's weights, umask " + umask).isEqualTo(file);
            assertThat(perms(out.resolve("config.json"))).as("abliterate's copied files, umask " + umask).isEqualTo(file);
        }
    }

    private static String perms(Path p) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(p));
    }

    /** The CLI in a new JVM under {@code umask} (a process's umask cannot change inside the JVM). */
    private void run(String umask, String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("/bin/sh", "-c", "umask " + umask + " && exec \"$@\"", "sh", javaBin,
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.refusal4j.cli.Main"));
        cmd.addAll(java.util.List.of(args));
        Path log = tmp.resolve("log.txt");
        int rc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start().waitFor();
        assertThat(rc).as(java.nio.file.Files.readString(log)).isZero();
    }
}
