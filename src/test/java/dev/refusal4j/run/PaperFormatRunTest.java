package dev.refusal4j.run;

import static dev.refusal4j.run.PipelinePlumbingTest.runCapturingErr;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

/** A model of the paper's families runs with the paper's prompt format, a Qwen-1 chat model (no template file) included. */
class PaperFormatRunTest {
    @TempDir
    Path tmp;

    @Test
    void qwen1ChatRunsEndToEndWithThePapersFormat() throws IOException {
        Path model = TinyChatModel.createQwen1(tmp.resolve("qwen1"));
        Path out = tmp.resolve("run");
        String[] args = {"run", "--model", model.toString(), "--out", out.toString(), "--n-train", "4", "--n-val", "3", "--n-test", "2",
                "--max-new-tokens", "4", "--no-filter", "--batch-size", "4", "--quiet"};
        assertThat(Main.run(args)).isZero();
        JsonNode cands = Json.read(out.resolve("candidates.json"));
        // <|im_end|>, \n, <|im_start|>, the 9 bytes of "assistant", \n: the paper's Qwen suffix, byte by byte
        assertThat(cands.get("positions")).hasSize(13);
        assertThat(cands.get("position_tokens").get("-13").asText()).isEqualTo("<|im_end|>");
        JsonNode metrics = Json.read(out.resolve("metrics.json"));
        assertThat(metrics.get("refusal_tokens").toString()).isEqualTo("[73,65]");   // 'I' and 'A'(s), as the paper's Qwen list
        assertThat(Json.read(out.resolve("run.json")).get("--prompt-format").asText()).isEqualTo("paper");
    }

    @Test
    void withoutATemplateTheModelsOwnFormatIsAClearError() throws IOException {
        Path model = TinyChatModel.createQwen1(tmp.resolve("qwen1"));
        String err = runCapturingErr("run", "--model", model.toString(), "--out", tmp.resolve("run").toString(), "--prompt-format", "model", "--quiet");
        assertThat(err).contains("qwen1").contains("no chat template");
    }
}
