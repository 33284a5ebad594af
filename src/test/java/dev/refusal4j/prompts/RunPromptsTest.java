package dev.refusal4j.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RunPromptsTest {
    private static List<Prompt> load(String... path) {
        return PromptLoader.load(Shared.path("datasets", path));
    }

    /** The paper's split files and JailbreakBench with seed 42: the published test sets, in order. */
    @Test
    void paperSourcesReproduceThePaperSets() throws IOException {
        PromptSource harmful = PromptSource.of("harmful_train", load("refusal_direction", "splits", "harmful_train.json"))
                .withVal("harmful_val", load("refusal_direction", "splits", "harmful_val.json"))
                .withTest("jailbreakbench", load("refusal_direction", "processed", "jailbreakbench.json"));
        PromptSource harmless = PromptSource.of("harmless_train", load("refusal_direction", "splits", "harmless_train.json"))
                .withVal("harmless_val", load("refusal_direction", "splits", "harmless_val.json"))
                .withTest("harmless_test", load("refusal_direction", "splits", "harmless_test.json"));
        RunPrompts run = RunPrompts.assemble(harmful, harmless, 128, 32, 100, 42);
        assertThat(run.harmfulTrain()).hasSize(128);
        assertThat(run.harmlessVal()).hasSize(32);
        ObjectMapper json = new ObjectMapper();
        String dir = "refusal_direction_runs/runs/qwen-1_8b-chat/completions/";
        JsonNode harmlessDone = json.readTree(Shared.path("datasets", dir + "harmless_baseline_completions.json").toFile());
        JsonNode harmfulDone = json.readTree(Shared.path("datasets", dir + "jailbreakbench_baseline_completions.json").toFile());
        for (int i = 0; i < 100; i++) {
            assertThat(run.harmlessTest().get(i).instruction()).isEqualTo(harmlessDone.get(i).get("prompt").asText());
            assertThat(run.harmfulTest().get(i).instruction()).isEqualTo(harmfulDone.get(i).get("prompt").asText());
            assertThat(run.harmfulTest().get(i).category()).isEqualTo(harmfulDone.get(i).get("category").asText());
        }
    }

    @Test
    void builtinPoolsGiveDisjointSets() {
        RunPrompts run = RunPrompts.assemble(PromptSource.of("built-in harmful", BuiltinPrompts.harmful()),
                PromptSource.of("built-in harmless", BuiltinPrompts.harmless()), 128, 32, 100, 42);
        for (List<List<Prompt>> kind : List.of(List.of(run.harmfulTrain(), run.harmfulVal(), run.harmfulTest()),
                List.of(run.harmlessTrain(), run.harmlessVal(), run.harmlessTest()))) {
            Set<Prompt> all = new HashSet<>();
            kind.forEach(all::addAll);
            assertThat(all).hasSize(260);
        }
        assertThat(RunPrompts.assemble(PromptSource.of("h", BuiltinPrompts.harmful()), PromptSource.of("s", BuiltinPrompts.harmless()),
                128, 32, 100, 42)).isEqualTo(run);
    }

    @Test
    void tooFewSaysWhichPoolAndWhatWasAsked() {
        assertThatThrownBy(() -> RunPrompts.assemble(PromptSource.of("my_harmful.csv", BuiltinPrompts.harmful().subList(0, 200)),
                PromptSource.of("built-in harmless", BuiltinPrompts.harmless()), 128, 32, 100, 42))
                .hasMessageContaining("my_harmful.csv").hasMessageContaining("--n-train 128 + --n-val 32 + --n-test 100")
                .hasMessageContaining("need 260").hasMessageContaining("only 200");
    }
}
