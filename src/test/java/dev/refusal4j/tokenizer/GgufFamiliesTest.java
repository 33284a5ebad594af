package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF vocabularies for the pre-tokenizer families whose llama.cpp files are too large for
 * ../shared ("qwen2", "llama-bpe"), written from Qwen2.5's vocabulary the way llama.cpp's converter
 * stores it, must tokenize exactly as the tokenizer.json they stand for: Qwen2.5's own files, and
 * the Llama-3-pattern tokenizer.json that the DJL oracle test checks against Hugging Face.
 */
class GgufFamiliesTest {
    static Path writeQwenGguf(Path dir, String pre) throws Exception {
        Path q = Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges");
        JsonNode vocab = dev.refusal4j.io.Json.MAPPER.readTree(q.resolve("vocab.json").toFile());
        JsonNode added = dev.refusal4j.io.Json.MAPPER.readTree(q.resolve("tokenizer_config.json").toFile()).get("added_tokens_decoder");
        int n = vocab.size() + added.size();
        String[] tokens = new String[n];
        int[] types = new int[n];
        vocab.properties().forEach(e -> {
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = 1;
        });
        added.properties().forEach(e -> {
            int id = Integer.parseInt(e.getKey());
            tokens[id] = e.getValue().get("content").asText();
            types[id] = e.getValue().get("special").asBoolean() ? 3 : 4;
        });
        List<String> merges = new ArrayList<>();
        for (String[] m : VocabMerges.readMerges(q.resolve("merges.txt"))) merges.add(m[0] + " " + m[1]);
        Path f = dir.resolve(pre + ".gguf");
        new GgufWriter()
                .putString("general.architecture", "qwen2")
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", pre)
                .putStringArray("tokenizer.ggml.tokens", List.of(tokens))
                .putInt32Array("tokenizer.ggml.token_type", types)
                .putStringArray("tokenizer.ggml.merges", merges)
                .putUInt32("tokenizer.ggml.eos_token_id", 151645)
                .putBool("tokenizer.ggml.add_bos_token", false)
                .write(f);
        return f;
    }

    private static int compare(Tokenizer want, Tokenizer got, long seed) {
        List<String> texts = RandomTexts.generate(seed, 400, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        List<String> misses = new ArrayList<>();
        for (String t : texts) {
            int[] a = want.encode(t, false), b = got.encode(t, false);
            if (!Arrays.equals(a, b)) misses.add(t + "\n got  " + Arrays.toString(b) + "\n want " + Arrays.toString(a));
        }
        assertThat(misses).isEmpty();
        return texts.size();
    }

    @Test
    void qwen2Family(@TempDir Path dir) throws Exception {
        Tokenizer gguf = Tokenizer.load(writeQwenGguf(dir, "qwen2"));
        Tokenizer qwen = Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"));
        int n = compare(qwen, gguf, 21);
        assertThat(gguf.eosId()).hasValue(151645);
        assertThat(gguf.encode("<|im_start|>", false)).containsExactly(151644);
        System.out.println("GGUF pre=qwen2 vs Qwen2.5 vocab.json+merges.txt: " + n + "/" + n);
    }

    @Test
    void llamaBpeFamily(@TempDir Path dir) throws Exception {
        Tokenizer gguf = Tokenizer.load(writeQwenGguf(dir, "llama-bpe"));
        Path json = OracleVariants.write(dir.resolve("variants")).get("llama3-pattern");
        Tokenizer reference = Tokenizer.load(json);
        int n = compare(reference, gguf, 22);
        System.out.println("GGUF pre=llama-bpe vs the Llama-3-pattern tokenizer.json: " + n + "/" + n);
    }

    @Test
    void tekkenFamily(@TempDir Path dir) throws Exception {
        Tokenizer gguf = Tokenizer.load(writeQwenGguf(dir, "tekken"));
        Tokenizer reference = Tokenizer.load(OracleVariants.write(dir.resolve("variants")).get("tekken-pattern"));
        int n = compare(reference, gguf, 23);
        System.out.println("GGUF pre=tekken vs the Tekken-pattern tokenizer.json: " + n + "/" + n);
    }
}
