package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TinyLlama's tokenizer.model must tokenize exactly as its tokenizer.json (which Hugging Face
 * built from it); Mistral's .model files must load and round-trip.
 */
class SentencePieceTest {
    /** Without tokenizer_config.json, transformers converts with legacy=True: TinyLlama's own tokenizer.json. */
    @Test
    void tokenizerModelMatchesTokenizerJson(@TempDir Path dir) throws Exception {
        Files.copy(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.model"), dir.resolve("tokenizer.model"));
        Tokenizer json = Tokenizer.load(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json"));
        Tokenizer model = Tokenizer.load(dir);
        assertSame(json, model, "tokenizer.model vs tokenizer.json (TinyLlama)");
    }

    /** TinyLlama's tokenizer_config.json says legacy: false: "▁" only at the start of the text. */
    @Test
    void nonLegacyConfigMatchesMetaspaceFirst(@TempDir Path dir) throws Exception {
        Files.copy(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.model"), dir.resolve("tokenizer.model"));
        Files.copy(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        // the same pipeline as a tokenizer.json, checked against Hugging Face by DjlOracleTest
        Tokenizer json = Tokenizer.load(OracleVariants.write(dir.resolve("variants")).get("llama-non-legacy"));
        Tokenizer model = Tokenizer.load(dir);
        assertThat(model.encode("<s>[INST] hi", false)).containsExactly(1, 29961, 25580, 29962, 7251);
        assertSame(json, model, "legacy=false tokenizer.model vs Metaspace-first tokenizer.json");
    }

    private static void assertSame(Tokenizer json, Tokenizer model, String what) {
        assertThat(model.vocabSize()).isEqualTo(32000);
        assertThat(model.bosId()).hasValue(1);
        assertThat(model.eosId()).hasValue(2);
        List<String> texts = RandomTexts.generate(7, 600, List.of("<s>", "</s>", "<unk>"));
        List<String> misses = new ArrayList<>();
        for (String t : texts) {
            for (boolean special : new boolean[]{false, true}) {
                int[] want = json.encode(t, special), got = model.encode(t, special);
                if (!Arrays.equals(want, got)) misses.add(t + "\n got  " + Arrays.toString(got) + "\n want " + Arrays.toString(want));
                else assertThat(model.decode(got, false)).isEqualTo(json.decode(want, false));
            }
        }
        System.out.println(what + ": " + (2 * texts.size() - misses.size()) + "/" + 2 * texts.size());
        assertThat(misses).isEmpty();
    }

    @Test
    void mistralModelsLoadAndRoundTrip() {
        for (String name : new String[]{"tokenizer.model.v1", "mistral_instruct_tokenizer_240216.model.v2", "mistral_instruct_tokenizer_240323.model.v3"}) {
            Tokenizer t = Tokenizer.load(Shared.path("tokenizers", "sentencepiece", name));
            String text = "Hello world, ça va? 中文 👍 12345\n  end";
            int[] ids = t.encode(text, true);
            assertThat(ids[0]).as(name).isEqualTo(1);
            assertThat(t.decode(ids, true)).as(name).isEqualTo(text);
        }
        Tokenizer v3 = Tokenizer.load(Shared.path("tokenizers", "sentencepiece", "mistral_instruct_tokenizer_240323.model.v3"));
        assertThat(v3.encode("[INST] hi [/INST]", false)).startsWith(3).contains(4);
        assertThat(v3.isSpecial(3)).isTrue();
    }

    @Test
    void truncatedModelIsAClearError(@TempDir Path dir) throws Exception {
        byte[] full = Files.readAllBytes(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.model"));
        Path cut = dir.resolve("tokenizer.model");
        Files.write(cut, Arrays.copyOf(full, 1000));
        assertThatThrownBy(() -> Tokenizer.load(dir)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("tokenizer.model").hasMessageContaining("truncated");
    }
}
