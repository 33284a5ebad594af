package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's tokenizer test vectors (shared/tokenizers/llamacpp/X.gguf.inp / .out, made with
 * Hugging Face's tokenizers; add_special=false, parse_special=false) for every vocabulary whose
 * .gguf is present, tokenized from the GGUF metadata.
 */
class LlamaCppVectorsTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    @Test
    void everyVectorWithItsGgufMatches() throws Exception {
        Path dir = Shared.path("tokenizers", "llamacpp");
        List<Path> inputs;
        try (Stream<Path> s = Files.list(dir)) {
            inputs = s.filter(p -> p.toString().endsWith(".gguf.inp")).sorted().toList();
        }
        List<String> misses = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        int vocabularies = 0, total = 0, matched = 0;
        for (Path inp : inputs) {
            String base = inp.getFileName().toString().replace(".inp", "");
            Path gguf = dir.resolve(base);
            if (!Files.exists(gguf)) {
                report.append("\n  ").append(base).append(": no .gguf here, skipped");
                continue;
            }
            vocabularies++;
            Tokenizer t = Tokenizer.load(gguf);
            String[] texts = Files.readString(inp).split(SEPARATOR, -1);
            List<String> lines = Files.readAllLines(dir.resolve(base + ".out"));
            // .inp ends with a separator line; .out has one line per input
            int n = lines.size();
            int ok = 0;
            for (int i = 0; i < n; i++) {
                String text = texts[i];
                if (i == n - 1 && text.endsWith("\n__ggml_vocab_test__")) text = text.substring(0, text.length() - "\n__ggml_vocab_test__".length());
                int[] want = lines.get(i).isBlank() ? new int[0] : Arrays.stream(lines.get(i).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
                int[] got = t.encode(text, false);
                if (Arrays.equals(got, want)) ok++;
                else misses.add(base + " #" + i + " " + dev.refusal4j.io.Json.MAPPER.writeValueAsString(text) + "\n   got  " + Arrays.toString(got) + "\n   want " + Arrays.toString(want));
            }
            total += n;
            matched += ok;
            report.append("\n  ").append(base).append(": ").append(ok).append("/").append(n);
        }
        System.out.println("llama.cpp vectors: " + matched + "/" + total + " over " + vocabularies + " vocabularies" + report);
        assertThat(misses).isEmpty();
        assertThat(vocabularies).isGreaterThanOrEqualTo(10);
    }

    /**
     * ggml-vocab-qwen2.gguf is not in ../shared (too large), but its vectors come from Qwen1.5's
     * tokenizer, whose byte-level vocabulary and merges Qwen2.5 kept: Qwen2.5's vocab.json +
     * merges.txt must reproduce them.
     */
    @Test
    void qwen2VectorsFromQwen25VocabMerges() throws Exception {
        Path dir = Shared.path("tokenizers", "llamacpp");
        Tokenizer qwen = Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"));
        String[] texts = Files.readString(dir.resolve("ggml-vocab-qwen2.gguf.inp")).split(SEPARATOR, -1);
        List<String> lines = Files.readAllLines(dir.resolve("ggml-vocab-qwen2.gguf.out"));
        List<String> misses = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String text = texts[i];
            if (i == lines.size() - 1 && text.endsWith("\n__ggml_vocab_test__")) text = text.substring(0, text.length() - "\n__ggml_vocab_test__".length());
            int[] want = lines.get(i).isBlank() ? new int[0] : Arrays.stream(lines.get(i).trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
            int[] got = qwen.encode(text, false);
            if (!Arrays.equals(got, want)) misses.add("#" + i + " " + dev.refusal4j.io.Json.MAPPER.writeValueAsString(text) + "\n   got  " + Arrays.toString(got) + "\n   want " + Arrays.toString(want));
        }
        System.out.println("llama.cpp qwen2 vectors with Qwen2.5 vocab.json+merges.txt: " + (lines.size() - misses.size()) + "/" + lines.size());
        assertThat(misses).isEmpty();
    }
}
