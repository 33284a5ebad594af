package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** bench's defaults fit the model: --long-prompt 512 used to fail on models/organism (256 positions). */
class BenchCommandTest {
    @TempDir
    Path tmp;

    record Run(int rc, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(Main.run(args), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void defaultsLongerThanTheContextAreLoweredAndGivenValuesAreErrors() throws Exception {
        Path model = Files.createDirectories(tmp.resolve("short"));
        Path golden = Shared.path("golden", "llama-gqa");
        ObjectNode cfg = (ObjectNode) Json.MAPPER.readTree(golden.resolve("config.json").toFile());
        cfg.put("max_position_embeddings", 30);
        Files.writeString(model.resolve("config.json"), Json.MAPPER.writeValueAsString(cfg));
        Files.copy(golden.resolve("model.safetensors"), model.resolve("model.safetensors"));

        Run r = run("bench", "--model", model.toString(), "--rounds", "1", "--batch", "1", "--prompt-len", "8");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.err()).contains("--long-prompt lowered from its default 512 to 30").contains("--decode lowered from its default 32 to 22").doesNotContain("error");
        assertThat(r.out()).contains("prefill   1 x 30:");

        Run given = run("bench", "--model", model.toString(), "--rounds", "1", "--long-prompt", "64");
        assertThat(given.rc()).isEqualTo(1);
        assertThat(given.err()).contains("--long-prompt 64 does not fit the model's context").contains("max_position_embeddings 30");
        assertThat(run("bench", "--model", model.toString(), "--rounds", "0").err()).contains("--rounds 0 must be >= 1");
    }

    @Test
    void theGcgStepIsTimedAndMustFitTheContext() throws Exception {
        Path model = Shared.path("golden", "llama-gqa");
        Run r = run("bench", "--model", model.toString(), "--rounds", "1", "--batch", "1", "--prompt-len", "8", "--long-prompt", "0",
                "--decode", "0", "--gcg", "--gcg-batch", "4", "--gcg-suffix-len", "3");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("gcg grad  1 x 21:").contains("gcg cand  4 x 13 after a shared 8:").contains("gcg step");

        Run tooLong = run("bench", "--model", model.toString(), "--rounds", "1", "--prompt-len", "8", "--long-prompt", "0", "--decode", "0",
                "--gcg", "--gcg-suffix-len", "100000");
        assertThat(tooLong.rc()).isEqualTo(1);
        assertThat(tooLong.err()).contains("does not fit the model's context");
        assertThat(run("bench", "--model", model.toString(), "--gcg-batch", "0").err()).contains("--gcg-batch 0 must be >= 1");
    }

    @Test
    void profileSplitsEachMeasurementByOperation() {
        Path model = Shared.path("golden", "llama-gqa");
        Run r = run("bench", "--model", model.toString(), "--rounds", "2", "--batch", "2", "--prompt-len", "8", "--long-prompt", "16",
                "--decode", "4", "--profile");
        assertThat(r.rc()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        int tables = 0;
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].startsWith("prefill") && !lines[i].startsWith("decode")) continue;
            tables++;
            double share = 0;
            for (String label : new String[] {"matmul", "attention", "norms", "rope", "activation", "lm_head", "other"}) {
                String line = lines[++i].trim();
                assertThat(line).as("under " + lines[i - 1]).startsWith(label + " ");
                share += Double.parseDouble(line.replaceAll(".* s +([0-9.]+)%.*", "$1"));
            }
            assertThat(share).as("shares of " + lines[i - 7]).isBetween(99.0, 101.0);
        }
        assertThat(tables).as(r.out()).isEqualTo(3);
        assertThat(r.out()).containsPattern("matmul +[0-9.]+ s +[0-9.]+%  +[0-9.]+ GFLOP/s");
    }
}
