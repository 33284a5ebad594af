package dev.refusal4j.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Shared;
import dev.refusal4j.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * convert's SentencePiece vocabulary against llama.cpp's own: a llama folder holding Llama-2's
 * tokenizer.model (TinyLlama's copy, ../shared/tokenizers/hf/tinyllama-chat) and Llama-2's
 * tokenizer_config.json keys gives the tokens, scores, token types, special ids and add_bos/add_eos
 * that llama.cpp's converter wrote into ../shared/tokenizers/llamacpp/ggml-vocab-llama-spm.gguf;
 * and the GGUF tokenizes as the folder does.
 */
class GgufConverterVocabularyTest {
    @TempDir
    Path tmp;

    @Test
    void aSentencePieceModelBecomesLlamaCppsLlamaVocabulary() throws IOException {
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 32000,
                 "rms_norm_eps": 1e-5, "max_position_embeddings": 256, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
                """);
        Path dir = tmp.resolve("llama-spm");
        RandomModel.write(cfg, dir, DType.F32, 3);
        Files.copy(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.model"), dir.resolve("tokenizer.model"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"add_bos_token": true, "add_eos_token": false, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "legacy": true}
                """);
        Path gguf = GgufConverter.of(dir).type(GgmlType.F16).write(tmp.resolve("llama-spm.gguf"));
        GgufFile got = GgufReader.read(gguf), want = GgufReader.read(Shared.path("tokenizers", "llamacpp", "ggml-vocab-llama-spm.gguf"));
        for (String k : List.of("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
                "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token")) {
            assertThat(got.get(k)).as(k).isEqualTo(want.get(k));
            assertThat(got.types().get(k)).as(k).isEqualTo(want.types().get(k));
        }
        assertThat(got.strings("tokenizer.ggml.tokens")).containsExactly(want.strings("tokenizer.ggml.tokens"));
        assertThat(got.floats("tokenizer.ggml.scores")).containsExactly(want.floats("tokenizer.ggml.scores"));
        assertThat(got.ints("tokenizer.ggml.token_type")).containsExactly(want.ints("tokenizer.ggml.token_type"));
        assertThat(got.metadata().keySet().stream().filter(k -> k.startsWith("tokenizer.")).sorted().toList())
                .isEqualTo(want.metadata().keySet().stream().filter(k -> k.startsWith("tokenizer.")).sorted().toList());

        Tokenizer folder = Tokenizer.load(dir), file = Tokenizer.load(gguf);
        for (String text : List.of("Hello world", " leading space and  two", "Ünïcödé ✓ 世界", "<s>[INST] How do I bake bread? [/INST]", "tabs\tand\nnewlines")) {
            assertThat(file.encode(text, true)).as(text).containsExactly(folder.encode(text, true));
        }
    }
}
