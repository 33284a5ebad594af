package dev.refusal4j.model;

import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConfigTest {
    @TempDir
    Path tmp;

    @Test
    void realHubConfigsParse() throws IOException {
        ModelConfig qwen = ModelConfig.parse(Shared.path("hf_configs", "Qwen2.5-0.5B-Instruct", "config.json"));
        assertThat(qwen.hidden).isEqualTo(896);
        assertThat(qwen.headDim).isEqualTo(64);
        assertThat(qwen.kvHeads).isEqualTo(2);
        assertThat(qwen.qkvBias).isTrue();
        assertThat(qwen.oBias).isFalse();
        assertThat(qwen.tieEmbeddings).isTrue();
        assertThat(qwen.window).containsOnly(0); // use_sliding_window: false
        assertThat(qwen.rope.theta()).isEqualTo(1e6);

        ModelConfig llama = ModelConfig.parse(Shared.path("hf_configs", "Llama-3.2-1B-Instruct", "config.json"));
        assertThat(llama.rope.type()).isEqualTo("llama3");
        assertThat(llama.rope.factor()).isEqualTo(32.0);
        assertThat(llama.rope.originalMaxPositions()).isEqualTo(8192);
        assertThat(llama.tieEmbeddings).isTrue();

        ModelConfig gemma2 = ModelConfig.parse(Shared.path("hf_configs", "gemma-2-2b-it_finetune_gemma2-poem", "config.json"));
        assertThat(gemma2.tieEmbeddings).isTrue(); // null in the file: Gemma's default
        assertThat(gemma2.window[0]).isEqualTo(4096);
        assertThat(gemma2.window[1]).isZero();
        assertThat(gemma2.attnScale).isEqualTo(1 / 16.0);
        assertThat(gemma2.headDim).isEqualTo(256);

        ModelConfig llama2 = ModelConfig.parse(Shared.path("hf_configs", "Llama-2-7b-chat-hf", "config.json"));
        assertThat(llama2.rope.theta()).isEqualTo(10000.0);
        assertThat(llama2.kvHeads).isEqualTo(32);

        ModelConfig ds = ModelConfig.parse(Shared.path("hf_configs", "DeepSeek-R1-Distill-Qwen-32B", "config.json"));
        assertThat(ds.window).containsOnly(0);
        assertThat(ds.dtype).isEqualTo(dev.refusal4j.tensor.DType.BF16);
    }

    /** transformers 5.x writes rope_parameters and layer_types: same model, same logits. */
    @Test
    void v5ConfigsGiveTheSameLogits() throws IOException {
        int checked = 0;
        try (var dirs = Files.list(Shared.path("golden"))) {
            for (Path d : dirs.sorted().toList()) {
                if (!Files.isRegularFile(d.resolve("config.v5.json"))) continue;
                Path v5 = tmp.resolve(d.getFileName().toString());
                Files.createDirectories(v5);
                Files.copy(d.resolve("config.v5.json"), v5.resolve("config.json"));
                Files.copy(d.resolve("model.safetensors"), v5.resolve("model.safetensors"));
                int[][] ids = {{0, 5, 9, 200, 17, 1, 2, 3, 4, 5, 6, 7, 8}};
                try (Transformer a = Transformer.load(d); Transformer b = Transformer.load(v5)) {
                    assertThat(b.config.window).as(d.toString()).containsExactly(a.config.window);
                    assertThat(b.config.rope).as(d.toString()).isEqualTo(a.config.rope);
                    float[] la = a.forward(Forward.of(ids));
                    float[] lb = b.forward(Forward.of(ids));
                    assertThat(BatchingAndCacheTest.rel(lb, la)).as(d.toString()).isLessThan(1e-6);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(11);
    }

    @Test
    void realShardedIndexNamesItsMissingShards() throws IOException {
        Path dir = tmp.resolve("ds");
        Files.createDirectories(dir);
        Files.copy(Shared.path("hf_configs", "DeepSeek-R1-Distill-Qwen-32B", "model.safetensors.index.json"), dir.resolve(ModelFiles.INDEX));
        assertThatThrownBy(() -> ModelFiles.open(dir))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(ModelFiles.INDEX)
                .hasMessageMatching("(?s).*model-0000\\d-of-0+8\\.safetensors.*missing.*");
    }

    @Test
    void missingConfigAndBadJson() throws IOException {
        assertThatThrownBy(() -> ModelConfig.load(tmp)).hasMessageContaining("no config.json");
        Files.writeString(tmp.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": ");
        assertThatThrownBy(() -> ModelConfig.load(tmp)).hasMessageContaining("config.json").hasMessageContaining("not valid JSON");
        Files.writeString(tmp.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64}");
        assertThatThrownBy(() -> ModelConfig.load(tmp)).hasMessageContaining("config.json").hasMessageContaining("'num_hidden_layers'");
    }

    /**
     * Values that used to load and give all-NaN logits (negative eps, rope_theta 0, llama3 scaling
     * without its factor), a division by zero (no KV heads) or a silently rounded size: each is a
     * ModelFormatException naming config.json and the key. The logits of the golden models, with
     * valid configs, are GoldenParityTest's.
     */
    @Test
    void eachInvalidValueIsRejectedNamingConfigJsonAndTheKey() throws IOException {
        String[][] cases = { // golden model, JSON edit ("key": value at the top level, or a whole rope_scaling), key named
                {"llama-gqa", "\"rms_norm_eps\": -1e-5", "rms_norm_eps"},
                {"llama-gqa", "\"rms_norm_eps\": \"small\"", "rms_norm_eps"},
                {"qwen1", "\"layer_norm_epsilon\": -1", "layer_norm_epsilon"},
                {"llama-gqa", "\"rope_theta\": 0", "rope_theta"},
                {"llama-gqa", "\"rope_theta\": -10000", "rope_theta"},
                {"llama-gqa", "\"rope_theta\": NaN", "rope_theta"},
                {"qwen1", "\"rotary_emb_base\": 0", "rotary_emb_base"},
                {"llama3-rope-scaling", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}", "rope_scaling.factor"},
                {"llama3-rope-scaling", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0}", "rope_scaling.original_max_position_embeddings"},
                {"llama3-rope-scaling", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 4.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}", "rope_scaling.high_freq_factor"},
                {"llama3-rope-scaling", "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 0.5, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}", "rope_scaling.factor"},
                {"llama-gqa", "\"rope_scaling\": \"llama3\"", "rope_scaling"},
                {"llama-gqa", "\"num_key_value_heads\": 0", "num_key_value_heads"},
                {"llama-gqa", "\"num_key_value_heads\": 3", "num_key_value_heads"},
                {"llama-gqa", "\"num_attention_heads\": 0", "num_attention_heads"},
                {"phi3", "\"num_attention_heads\": 6", "num_attention_heads"}, // 64 / 6, and no head_dim
                {"llama-gqa", "\"head_dim\": 0", "head_dim"},
                {"llama-gqa", "\"head_dim\": 15", "head_dim"},
                {"llama-gqa", "\"hidden_size\": 64.5", "hidden_size"},
                {"llama-gqa", "\"num_hidden_layers\": -3", "num_hidden_layers"},
                {"llama-gqa", "\"vocab_size\": \"320\"", "vocab_size"},
                {"llama-gqa", "\"max_position_embeddings\": 0", "max_position_embeddings"},
                {"llama-gqa", "\"partial_rotary_factor\": 0", "partial_rotary_factor"},
                {"llama-gqa", "\"partial_rotary_factor\": 0.05", "partial_rotary_factor"},
                {"gemma2", "\"query_pre_attn_scalar\": 0", "query_pre_attn_scalar"},
                {"gemma2", "\"final_logit_softcapping\": -30", "final_logit_softcapping"},
                {"qwen1", "\"intermediate_size\": 257", "intermediate_size"},
        };
        for (String[] c : cases) {
            Path dir = Files.createDirectories(tmp.resolve("case" + java.util.Arrays.asList(cases).indexOf(c)));
            String text = Files.readString(Shared.path("golden", c[0], "config.json"));
            String key = c[1].substring(1, c[1].indexOf('"', 1));
            var node = (com.fasterxml.jackson.databind.node.ObjectNode) dev.refusal4j.io.Json.MAPPER.readTree(text);
            node.set(key, dev.refusal4j.io.Json.MAPPER.readTree("{" + c[1] + "}").get(key));
            Files.writeString(dir.resolve("config.json"), dev.refusal4j.io.Json.MAPPER.writeValueAsString(node));
            assertThatThrownBy(() -> ModelConfig.load(dir)).as(c[0] + " with " + c[1])
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith(dir.resolve("config.json") + ": ")
                    .hasMessageContaining(c[2]);
        }
    }
}
