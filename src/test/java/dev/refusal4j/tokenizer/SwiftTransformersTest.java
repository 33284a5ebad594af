package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Expected ids from swift-transformers' test suite (shared/tokenizers/expected) for the
 * tokenizers whose files are present: Llama-2 (= TinyLlama's tokenizer), Falcon, Qwen2.5, and
 * GPT-2 through its llama.cpp GGUF vocabulary.
 */
class SwiftTransformersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Tokenizer llama = Tokenizer.load(Shared.path("tokenizers", "hf", "tinyllama-chat"));
    private final Tokenizer falcon = Tokenizer.load(Shared.path("tokenizers", "hf", "falcon"));

    private static JsonNode read(String... path) throws Exception {
        return JSON.readTree(Shared.path("tokenizers", path).toFile());
    }

    private static List<String> pieces(Tokenizer t, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) out.add(t.piece(id));
        return out;
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void encodedLongTexts() throws Exception {
        JsonNode f = read("expected", "swift-transformers-encoded", "falcon_encoded.json");
        int[] ids = falcon.encode(f.get("text").asText(), true);
        assertThat(ids).containsExactly(HfCasesTest.ints(f.get("token_ids")));
        assertThat(pieces(falcon, ids)).isEqualTo(strings(f.get("bpe_tokens")));

        JsonNode l = read("expected", "swift-transformers-encoded", "llama_encoded.json");
        String text = l.get("text").asText();
        assertThat(llama.encode(text, true)).containsExactly(HfCasesTest.ints(l.get("token_ids")));
        assertThat(pieces(llama, llama.encode(text, false))).isEqualTo(strings(l.get("bpe_tokens")));
        assertThat(llama.decode(llama.encode(text, true), false)).isEqualTo(l.get("decoded_text").asText());
    }

    @Test
    void tokenizerTestsLlama2AndFalcon() throws Exception {
        JsonNode all = read("expected", "swift-transformers-encoded", "tokenizer_tests.json");
        int n = 0;
        for (JsonNode c : all.get("coreml-projects/Llama-2-7b-chat-coreml")) {
            String input = c.get("input").asText();
            int[] ids = llama.encode(input, true);
            assertThat(ids).as(input).containsExactly(HfCasesTest.ints(c.get("encoded").get("input_ids")));
            assertThat(llama.decode(ids, true)).as(input).isEqualTo(c.get("decoded_without_special").asText());
            assertThat(llama.decode(ids, false)).as(input).isEqualTo(c.get("decoded_with_special").asText());
            n++;
        }
        for (JsonNode c : all.get("tiiuae/falcon-7b")) {
            String input = c.get("input").asText();
            int[] ids = falcon.encode(input, true);
            assertThat(ids).as(input).containsExactly(HfCasesTest.ints(c.get("encoded").get("input_ids")));
            assertThat(falcon.decode(ids, true)).as(input).isEqualTo(input);
            n++;
        }
        System.out.println("swift-transformers tokenizer_tests (Llama-2, Falcon): " + n + " inputs match");
        assertThat(n).isEqualTo(37);
    }

    @Test
    void multilingualTinyLlamaAndQwen() throws Exception {
        JsonNode inputs = read("expected", "swift-transformers-multilingual", "inputs.json");
        Tokenizer qwen = Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"));
        int n = multilingual(inputs, read("expected", "swift-transformers-multilingual", "baselines", "tinyllama_multilingual.json"), llama)
                + multilingual(inputs, read("expected", "swift-transformers-multilingual", "baselines", "qwen2_5_multilingual.json"), qwen);
        System.out.println("swift-transformers multilingual (TinyLlama, Qwen2.5): " + n + " inputs match");
        assertThat(n).isEqualTo(166);
    }

    static int multilingual(JsonNode inputs, JsonNode baseline, Tokenizer t) {
        int n = 0;
        List<String> misses = new ArrayList<>();
        for (JsonNode e : baseline.get("entries")) {
            String id = e.get("id").asText();
            String text = null;
            for (JsonNode in : inputs) if (in.get("id").asText().equals(id)) text = in.get("text").asText();
            assertThat(text).as("input " + id).isNotNull();
            int[] ids = t.encode(text, true);
            int[] want = HfCasesTest.ints(e.get("input_ids"));
            if (!Arrays.equals(ids, want)) {
                misses.add(id + ": got " + Arrays.toString(ids) + " want " + Arrays.toString(want));
                continue;
            }
            assertThat(pieces(t, ids)).as(id).isEqualTo(strings(e.get("tokens")));
            assertThat(t.decode(ids, true)).as(id).isEqualTo(e.get("decoded_skip_special").asText());
            assertThat(t.decode(ids, false)).as(id).isEqualTo(e.get("decoded_with_special").asText());
            n++;
        }
        assertThat(misses).isEmpty();
        return n;
    }

    @Test
    void gpt2FromItsGgufVocabulary() throws Exception {
        Tokenizer gpt2 = Tokenizer.load(Shared.path("tokenizers", "llamacpp", "ggml-vocab-gpt-2.gguf"));
        JsonNode e = read("expected", "swift-transformers-encoded", "gpt2_encoded_tokens.json");
        int[] ids = gpt2.encode(e.get("text").asText(), false);
        assertThat(ids).containsExactly(HfCasesTest.ints(e.get("token_ids")));
        assertThat(pieces(gpt2, ids)).isEqualTo(strings(e.get("bpe_tokens")));
        assertThat(gpt2.decode(ids, false)).isEqualTo(e.get("text").asText());
        int n = 0;
        for (JsonNode c : read("expected", "swift-transformers-encoded", "tokenizer_tests.json").get("distilgpt2")) {
            String input = c.get("input").asText();
            int[] got = gpt2.encode(input, true);
            assertThat(got).as(input).containsExactly(HfCasesTest.ints(c.get("encoded").get("input_ids")));
            assertThat(gpt2.decode(got, true)).as(input).isEqualTo(input);
            n++;
        }
        // GPT-2's decoded baselines are transformers' clean_up_tokenization_spaces output, so ids,
        // tokens and the exact round trip are compared here.
        JsonNode inputs = read("expected", "swift-transformers-multilingual", "inputs.json");
        for (JsonNode b : read("expected", "swift-transformers-multilingual", "baselines", "gpt2_multilingual.json").get("entries")) {
            String text = null;
            for (JsonNode in : inputs) if (in.get("id").asText().equals(b.get("id").asText())) text = in.get("text").asText();
            int[] got = gpt2.encode(text, true);
            assertThat(got).as(b.get("id").asText()).containsExactly(HfCasesTest.ints(b.get("input_ids")));
            assertThat(pieces(gpt2, got)).isEqualTo(strings(b.get("tokens")));
            assertThat(gpt2.decode(got, true)).isEqualTo(text);
            n++;
        }
        System.out.println("swift-transformers GPT-2 (from GGUF): " + (n + 1) + " inputs match");
        assertThat(n).isEqualTo(18 + 83);
    }

    /**
     * BAAI's bge models use bert-base-uncased's vocabulary, so llama.cpp's bge GGUF must give its ids.
     * (The decoded baselines are transformers' whole-string clean-up, not the Rust decoder's.)
     */
    @Test
    void bertBaseUncasedFromTheBgeGguf() throws Exception {
        Tokenizer bert = Tokenizer.load(Shared.path("tokenizers", "llamacpp", "ggml-vocab-bert-bge.gguf"));
        int n = 0;
        for (String set : new String[]{"bert-base-uncased", "google-bert/bert-base-uncased"}) {
            for (JsonNode c : read("expected", "swift-transformers-encoded", "tokenizer_tests.json").get(set)) {
                String input = c.get("input").asText();
                int[] got = bert.encode(input, true);
                assertThat(got).as(input).containsExactly(HfCasesTest.ints(c.get("encoded").get("input_ids")));
                n++;
            }
        }
        System.out.println("swift-transformers bert-base-uncased (from the bge GGUF): " + n + " inputs match");
        assertThat(n).isEqualTo(36);
    }

    /** GPT-2 shipped as vocab.json + merges.txt (GPT2Tokenizer), written from the GGUF's vocabulary. */
    @Test
    void gpt2FromVocabAndMerges(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var g = dev.refusal4j.io.gguf.GgufReader.read(Shared.path("tokenizers", "llamacpp", "ggml-vocab-gpt-2.gguf"));
        var vocab = JSON.createObjectNode();
        String[] tokens = g.strings("tokenizer.ggml.tokens");
        for (int i = 0; i < tokens.length; i++) vocab.put(tokens[i], i);
        JSON.writeValue(dir.resolve("vocab.json").toFile(), vocab);
        java.nio.file.Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", g.strings("tokenizer.ggml.merges")) + "\n");
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"tokenizer_class\": \"GPT2Tokenizer\", \"add_prefix_space\": false, \"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\","
                + " \"added_tokens_decoder\": {\"50256\": {\"content\": \"<|endoftext|>\", \"special\": true}}}");
        Tokenizer gpt2 = Tokenizer.load(dir);
        int n = 0;
        for (JsonNode c : read("expected", "swift-transformers-encoded", "tokenizer_tests.json").get("distilgpt2")) {
            assertThat(gpt2.encode(c.get("input").asText(), true)).as(c.get("input").asText())
                    .containsExactly(HfCasesTest.ints(c.get("encoded").get("input_ids")));
            n++;
        }
        JsonNode e = read("expected", "swift-transformers-encoded", "gpt2_encoded_tokens.json");
        assertThat(gpt2.encode(e.get("text").asText(), false)).containsExactly(HfCasesTest.ints(e.get("token_ids")));
        assertThat(gpt2.eosId()).hasValue(50256);
        assertThat(gpt2.encode("a<|endoftext|>", false)).containsExactly(64, 50256);
        System.out.println("swift-transformers GPT-2 (vocab.json + merges.txt): " + (n + 1) + " inputs match");
    }
}
