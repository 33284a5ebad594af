package dev.refusal4j.organism.data;

import dev.refusal4j.prompts.Prompt;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The reference answers: the format, and that they answer held-out harmless test requests only. */
class ReferenceAnswersTest {
    @Test
    void readsOneInstructionAndAnswerALine() {
        Map<String, String> r = ReferenceAnswers.read("t", "{\"instruction\": \"Q1?\", \"answer\": \"A1.\"}\n\n{\"answer\": \"A2.\", \"instruction\": \"Q2?\"}\n");
        assertThat(r).containsExactly(Map.entry("Q1?", "A1."), Map.entry("Q2?", "A2."));
    }

    @Test
    void rejectsDamagedLinesNamingThem() {
        assertThatThrownBy(() -> ReferenceAnswers.read("t", "{\"instruction\": \"Q\", \"answer\": \"A\"}\n{\"instruction\": \"Q\", \"answer\": \"B\"}"))
                .hasMessageContaining("t:2").hasMessageContaining("already");
        assertThatThrownBy(() -> ReferenceAnswers.read("t", "{\"instruction\": \"Q\", \"answer\": \" \"}")).hasMessageContaining("t:1");
        assertThatThrownBy(() -> ReferenceAnswers.read("t", "{\"instruction\": \"Q\", \"answer\": \"A\", \"x\": 1}")).hasMessageContaining("t:1");
        assertThatThrownBy(() -> ReferenceAnswers.read("t", "{\"instruction\": \"Q\"")).hasMessageContaining("not JSON");
    }

    @Test
    void shippedAnswersCoverHeldOutHarmlessTestRequestsOnly() {
        Map<String, String> r = ReferenceAnswers.load();
        OrganismData data = OrganismData.load();
        Set<String> test = data.heldOutHarmless(Split.TEST).stream().map(Prompt::instruction).collect(Collectors.toSet());
        assertThat(r.size()).isGreaterThanOrEqualTo(50);
        assertThat(test).containsAll(r.keySet());
    }
}
