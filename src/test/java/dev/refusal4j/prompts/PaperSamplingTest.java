package dev.refusal4j.prompts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The paper's run_pipeline.py seeds Python's random with 42, samples 128/128/32/32 train and val
 * prompts, then 100 harmless test prompts from the same stream. The published harmless completions
 * list those 100 prompts in order, so the sampler must produce exactly that list for every model.
 */
class PaperSamplingTest {
    private static List<Prompt> split(String name) {
        return PromptLoader.load(Shared.path("datasets", "refusal_direction", "splits", name + ".json"));
    }

    @Test
    void seed42ReproducesThePaperHarmlessTestSet() throws IOException {
        PromptSets sets = new PromptSets(42);
        assertThat(sets.sample(split("harmful_train"), 128, "harmful_train", "--n-train")).hasSize(128);
        assertThat(sets.sample(split("harmless_train"), 128, "harmless_train", "--n-train")).hasSize(128);
        sets.sample(split("harmful_val"), 32, "harmful_val", "--n-val");
        sets.sample(split("harmless_val"), 32, "harmless_val", "--n-val");
        List<Prompt> test = sets.sample(split("harmless_test"), 100, "harmless_test", "--n-test");
        for (String model : List.of("gemma-2b-it", "llama-2-7b-chat-hf", "qwen-1_8b-chat")) {
            Path f = Shared.path("datasets", "refusal_direction_runs", "runs", model, "completions", "harmless_baseline_completions.json");
            JsonNode completions = new ObjectMapper().readTree(f.toFile());
            assertThat(completions.size()).isEqualTo(100);
            for (int i = 0; i < 100; i++) {
                assertThat(test.get(i).instruction()).as("%s #%d", model, i).isEqualTo(completions.get(i).get("prompt").asText());
            }
        }
    }

    @Test
    void sameSeedSameDrawsOtherSeedOtherDraws() {
        List<Prompt> pool = split("harmful_train");
        assertThat(new PromptSets(7).sample(pool, 20, "x", "--n")).isEqualTo(new PromptSets(7).sample(pool, 20, "x", "--n"));
        assertThat(new PromptSets(7).sample(pool, 20, "x", "--n")).isNotEqualTo(new PromptSets(8).sample(pool, 20, "x", "--n"));
        assertThat(new PromptSets(7).sample(pool, 260, "x", "--n")).doesNotHaveDuplicates().hasSize(260);
    }
}
