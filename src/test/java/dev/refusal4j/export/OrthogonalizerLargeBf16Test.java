package dev.refusal4j.export;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A random BF16 model big enough for the streaming machinery the golden models are too small for:
 * an embedding of 35.8 MB spans two input windows ({@link StreamedTensor#WINDOW}) and some hundred
 * 256 KB blocks written by both threads at their places, and the copies go before the computed
 * tensors. Every modified tensor must be orthogonal within BF16 rounding, every other byte-identical
 * (the same checks as the golden models), and a second export must give the same bytes.
 */
class OrthogonalizerLargeBf16Test {
    @TempDir
    Path tmp;

    @Test
    void streamsWindowsAndBlocksCorrectlyAndReproducibly() throws IOException {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, """
                {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 256,
                 "intermediate_size": 1000, "num_hidden_layers": 2, "num_attention_heads": 4,
                 "num_key_value_heads": 2, "vocab_size": 70000, "max_position_embeddings": 256,
                 "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "tie_word_embeddings": true,
                 "hidden_act": "silu", "torch_dtype": "bfloat16"}
                """);
        Path in = tmp.resolve("model");
        RandomModel.write(config, in, DType.BF16, 5);
        ModelConfig cfg = ModelConfig.load(in);
        assertThat(2L * cfg.vocab * cfg.hidden).as("embedding bytes").isGreaterThan(StreamedTensor.WINDOW);
        Map<String, String> before = ExportChecks.snapshot(in);
        RefusalDirection dir = ExportChecks.randomDirection(cfg.hidden, 99);

        Orthogonalizer.Result res = Orthogonalizer.export(in, dir, tmp.resolve("out"), false, ProgressListener.NONE);
        OrthogonalizerExactnessTest.checkTensors(in, tmp.resolve("out"), cfg, dir, res);
        OrthogonalizerExactnessTest.checkFiles(in, tmp.resolve("out"), cfg);
        assertThat(ExportChecks.snapshot(in)).as("input bytes and mtimes").isEqualTo(before);

        Orthogonalizer.export(in, dir, tmp.resolve("again"), false, ProgressListener.NONE);
        assertThat(tmp.resolve("again").resolve("model.safetensors")).hasSameBinaryContentAs(tmp.resolve("out").resolve("model.safetensors"));
    }
}
