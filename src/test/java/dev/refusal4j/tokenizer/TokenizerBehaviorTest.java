package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading errors, BOS/EOS, rendered-text encoding and streaming decode. */
class TokenizerBehaviorTest {
    private final Tokenizer llama = Tokenizer.load(Shared.path("tokenizers", "hf", "tinyllama-chat"));

    @Test
    void damagedTokenizerIsRefusedNamingFileAndMerge() {
        Path bad = Shared.path("tokenizers", "bad", "llama2-damaged-tokenizer.json");
        assertThatThrownBy(() -> Tokenizer.load(bad))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("llama2-damaged-tokenizer.json")
                .hasMessageContaining("merge");
    }

    @Test
    void missingAndMalformedFilesAreNamed(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Tokenizer.load(dir)).hasMessageContaining(dir.toString()).hasMessageContaining("no tokenizer found");
        Path json = dir.resolve("tokenizer.json");
        Files.writeString(json, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}");
        assertThatThrownBy(() -> Tokenizer.load(dir)).hasMessageContaining("tokenizer.json").hasMessageContaining("'b'");
        Files.writeString(json, "{\"model\": ");
        assertThatThrownBy(() -> Tokenizer.load(dir)).hasMessageContaining("tokenizer.json").hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("nope"))).hasMessageContaining("nope");
    }

    @Test
    void specialIdsComeFromTheConfigFiles() {
        assertThat(llama.bosId()).hasValue(1);
        assertThat(llama.eosId()).hasValue(2);
        Tokenizer qwen = Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"));
        assertThat(qwen.bosId()).isEmpty(); // bos_token: null in tokenizer_config.json
        assertThat(qwen.eosId()).hasValue(151645); // <|im_end|>
        assertThat(qwen.isSpecial(151644)).isTrue();
        assertThat(qwen.tokenId("<|im_start|>")).hasValue(151644);
        assertThat(qwen.vocabSize()).isEqualTo(151665);
        Tokenizer falcon = Tokenizer.load(Shared.path("tokenizers", "hf", "falcon"));
        assertThat(falcon.bosId()).isEmpty();
        assertThat(falcon.eosId()).isEqualTo(falcon.tokenId("<|endoftext|>"));
    }

    @Test
    void renderedTextKeepsItsOwnBos() {
        int[] once = llama.encodeRendered("<s>[INST] hi [/INST]");
        assertThat(once[0]).isEqualTo(1);
        assertThat(once[1]).isNotEqualTo(1);
        assertThat(llama.encode("<s>[INST] hi [/INST]", true)).startsWith(1, 1);
        assertThat(llama.encodeRendered("[INST] hi")).isEqualTo(llama.encode("[INST] hi", true));
    }

    @Test
    void streamingNeverReturnsHalfACharacter() {
        String text = "Grüße 👩‍💻 中文 — done";
        for (Tokenizer t : new Tokenizer[]{llama, Tokenizer.load(Shared.path("tokenizers", "hf", "falcon"))}) {
            int[] ids = t.encode(text, false);
            StreamingDecoder stream = t.streamingDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = stream.next(id);
                assertThat(piece).doesNotContain("\uFFFD");
                if (!piece.isEmpty()) assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
                sb.append(piece);
            }
            sb.append(stream.flush());
            assertThat(sb.toString()).isEqualTo(t.decode(ids, false)).isEqualTo(text);
        }
    }

    @Test
    void decodeSkipsSpecialTokensOnlyWhenAsked() {
        int[] ids = llama.encode("hi</s>", true);
        assertThat(llama.decode(ids, false)).isEqualTo("<s> hi</s>");
        assertThat(llama.decode(ids, true)).isEqualTo("hi");
        assertThat(llama.piece(ids[1])).isEqualTo("▁hi");
    }

    /** transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token / add_eos_token. */
    @Test
    void llamaConfigFlagsDecideBosAndEos(@TempDir Path dir) throws Exception {
        Path src = Shared.path("tokenizers", "hf", "tinyllama-chat");
        Files.copy(src.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        String config = Files.readString(src.resolve("tokenizer_config.json"))
                .replace("\"add_bos_token\": true", "\"add_bos_token\": false")
                .replace("\"add_eos_token\": false", "\"add_eos_token\": true");
        Files.writeString(dir.resolve("tokenizer_config.json"), config);
        Tokenizer t = Tokenizer.load(dir);
        int[] plain = llama.encode("hello world", false);
        int[] withSpecial = t.encode("hello world", true);
        assertThat(withSpecial).startsWith(plain).endsWith(2).hasSize(plain.length + 1);
        assertThat(llama.encode("hello world", true)).startsWith(1);
    }

    /**
     * Special tokens marked normalized: true are matched in the normalized text, where Llama's
     * Prepend normalizer puts "▁" before every piece: "</s>" is found only where "▁</s>" is.
     */
    @Test
    void normalizedSpecialTokensFollowTheNormalizer(@TempDir Path dir) throws Exception {
        Tokenizer t = Tokenizer.load(OracleVariants.write(dir).get("llama-normalized-specials"));
        assertThat(t.encode("Hello</s>world", false)).doesNotContain(2);
        assertThat(t.encode("</s>", false)).containsExactly(2);
        assertThat(t.encode("Hello </s>world", false)).contains(2);
    }

    /** Streaming the ids of a seeded corpus gives exactly the full decode, and never a broken character. */
    @Test
    void streamingEqualsFullDecodeOnACorpus() {
        List<String> texts = RandomTexts.generate(41, 200, List.of("<s>", "</s>", "<|im_start|>", "<|endoftext|>"));
        for (String name : new String[]{"tinyllama-chat", "falcon", "qwen2.5-vocab-merges", "phi-3-mini"}) {
            Tokenizer t = Tokenizer.load(Shared.path("tokenizers", "hf", name));
            for (String text : texts) {
                int[] ids = t.encode(text, true);
                StreamingDecoder stream = t.streamingDecoder();
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    String piece = stream.next(id);
                    assertThat(piece).as(name + " " + text).doesNotContain("\uFFFD");
                    sb.append(piece);
                }
                sb.append(stream.flush());
                assertThat(sb.toString()).as(name + " " + text).isEqualTo(t.decode(ids, false));
            }
        }
    }
}
