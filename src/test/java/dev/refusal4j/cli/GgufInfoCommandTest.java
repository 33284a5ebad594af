package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.testutil.Shared;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code gguf-info}: metadata and tensor table of ggml's tiny.gguf; a damaged file is one error line. */
class GgufInfoCommandTest {
    @TempDir
    Path tmp;

    private static String[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static Path tiny() throws Exception {
        return Path.of(GgufInfoCommandTest.class.getResource("/gguf/tiny.gguf").toURI());
    }

    @Test
    void printsMetadataAndTensorTable() throws Exception {
        String[] r = run("gguf-info", tiny().toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("tiny.gguf: GGUF v3, 29 metadata entries, 13 tensors, alignment 32, tensor data at byte 1824")
                .containsPattern("general.architecture +STRING +\"llama\"")
                .containsPattern("test.u64 +UINT64 +18446744073709551615")
                .containsPattern("test.array.string +array\\[STRING × 4\\] \\[\"a\", \"\", \"▁token\", \"<\\|endoftext\\|>\"\\]")
                .containsPattern("blk.10.q4_K +q4_K +\\[512, 2\\] +576")
                .containsPattern("blk.11.q5_K +q5_K +\\[256, 1, 1, 2\\] +352")
                .contains("13 tensors, 2126 bytes (bf16 1, f16 1, f32 1, q2_K 1, q3_K 1, q4_0 1, q4_1 1, q4_K 1, q5_0 1, q5_1 1, q5_K 1, q6_K 1, q8_0 1)");
    }

    @Test
    void vocabularyFileArraysAreCut() {
        String[] r = run("gguf-info", "--header-only", Shared.path("tokenizers", "llamacpp", "ggml-vocab-llama-spm.gguf").toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).containsPattern("tokenizer.ggml.tokens +array\\[STRING × 32000\\] \\[\"<unk>\", \"<s>\", \"</s>\", .*, … 32000 in all\\]");
        assertThat(r[1]).doesNotContain("name  type");
    }

    @Test
    void aDamagedFileIsOneErrorLine() throws Exception {
        byte[] bytes = Files.readAllBytes(tiny());
        Path f = Files.write(tmp.resolve("cut.gguf"), Arrays.copyOf(bytes, 3000));
        String[] r = run("gguf-info", f.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2].strip()).startsWith("error: " + f + ": truncated: tensor").doesNotContain("\n");
    }
}
