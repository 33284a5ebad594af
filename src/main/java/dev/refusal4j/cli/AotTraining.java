package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.tensor.DType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The training run of the launcher's AOT cache (JDK 25, JEP 483/515): one JVM that runs the common
 * commands briefly on the bundled organism, so that the classes they load (picocli's models,
 * Jackson, the chat-template engine, the tokenizer, the kernels) are stored parsed and linked, with
 * their profiles. {@code --help} alone loads none of them, and a command would then load them from
 * the jar before its first real work.
 *
 * <p>Usage (the launcher runs it after each build): {@code java -XX:AOTCacheOutput=FILE -cp JAR
 * dev.refusal4j.cli.AotTraining MODEL_DIR}. Output is discarded; a failure only means a smaller cache.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        Path model = Path.of(args[0]);
        Path tmp = Files.createTempDirectory("refusal4j-aot-");
        PrintStream out = System.out, err = System.err;
        PrintStream none = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(none);
        System.setErr(none);
        try {
            Main.run("--help");
            Main.run("forward", "--model", model.toString(), "--ids", "1,2,3", "--out", tmp.resolve("f.safetensors").toString());
            Main.run("generate", "--model", model.toString(), "--prompt", "Hello", "--max-new-tokens", "2");
            // abliterate in both common dtypes: F32 (the organism) and BF16 (most downloads)
            Path bf16 = tmp.resolve("bf16");
            RandomModel.write(model.resolve("config.json"), bf16, DType.BF16, 1);
            int d = dev.refusal4j.model.ModelConfig.parse(model.resolve("config.json")).hidden;
            float[] r = new float[d];
            for (int i = 0; i < d; i++) r[i] = (float) Math.sin(i + 1.0);
            Path dir = tmp.resolve("direction.safetensors");
            new RefusalDirection(r, 1, -1, Map.of()).write(dir);
            Main.run("abliterate", "--model", model.toString(), "--direction", dir.toString(), "--out", tmp.resolve("a32").toString(), "--quiet");
            Main.run("abliterate", "--model", bf16.toString(), "--direction", dir.toString(), "--out", tmp.resolve("a16").toString(), "--quiet");
        } finally {
            System.setOut(out);
            System.setErr(err);
            AtomicFiles.deleteRecursively(tmp);
        }
    }
}
