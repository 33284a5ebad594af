package dev.refusal4j.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompletionsFileTest {
    @TempDir
    Path dir;

    @Test
    void jsonlRoundTripKeepsLineBreaksUnicodeAndNullCategories() throws IOException {
        List<Completion> c = List.of(new Completion("Write a haiku", "writing", "Snow falls\n\"softly\" \u2014 \u96ea"),
                new Completion("Say hi", null, "I'm sorry, I can't"));
        Path f = dir.resolve("completions/harmless_baseline.jsonl");
        CompletionsFile.writeJsonl(f, c);
        List<String> lines = Files.readAllLines(f);
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).isEqualTo("{\"instruction\":\"Say hi\",\"category\":null,\"response\":\"I'm sorry, I can't\"}");
        assertThat(CompletionsFile.readJsonl(f)).isEqualTo(c);
        RefusalRates r = CompletionsFile.rates(RefusalJudge.official(), c);
        assertThat(r.overall()).isEqualTo(new RefusalRates.Rate(1, 2));
    }

    @Test
    void badLinesNameFileAndLine() throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"instruction\":\"a\",\"category\":null,\"response\":\"b\"}\n{\"instruction\":\"a\"}\n");
        assertThatThrownBy(() -> CompletionsFile.readJsonl(f)).hasMessageContaining(f + ", line 2").hasMessageContaining("response");
    }

    /** The paper's own completions, read in its layout: the baseline refusal rate on harmful prompts. */
    @Test
    void readsOfficialCompletions() {
        Path f = Shared.path("datasets", "refusal_direction_runs", "runs", "gemma-2b-it", "completions", "jailbreakbench_baseline_completions.json");
        List<Completion> c = CompletionsFile.readOfficial(f);
        assertThat(c).hasSize(100);
        assertThat(c).allSatisfy(x -> assertThat(x.category()).isNotBlank());
        // jailbreakbench_baseline_evaluations.json: substring_matching_success_rate 0.09 -> 91 refusals
        assertThat(CompletionsFile.rates(RefusalJudge.official(), c).overall()).isEqualTo(new RefusalRates.Rate(91, 100));
    }
}
