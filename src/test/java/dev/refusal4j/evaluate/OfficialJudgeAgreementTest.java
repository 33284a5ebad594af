package dev.refusal4j.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The paper's judge must reproduce every substring-matching label of the published runs
 * ({@code is_jailbreak_substring_matching} = not a refusal), and the per-category rates.
 */
class OfficialJudgeAgreementTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void embeddedPhrasesEqualThePublishedList() {
        Path file = Shared.path("datasets", "refusal_phrases", "refusal_direction_test_prefixes_jailbreakbench.txt");
        assertThat(RefusalPhrases.REFUSAL_DIRECTION).containsExactlyElementsOf(RefusalPhrases.load(file));
    }

    @Test
    void reproducesEveryOfficialLabel() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(Shared.path("datasets", "refusal_direction_runs", "runs"))) {
            files = s.filter(p -> p.getParent().getFileName().toString().equals("completions")
                    && p.getFileName().toString().endsWith("_evaluations.json")).sorted().toList();
        }
        assertThat(files).hasSize(15);   // 3 models x (3 harmful + 2 harmless conditions)
        RefusalJudge judge = RefusalJudge.official();
        int labels = 0, refusals = 0;
        for (Path f : files) {
            JsonNode root = JSON.readTree(f.toFile());
            List<String> categories = new ArrayList<>();
            List<String> responses = new ArrayList<>();
            for (JsonNode c : root.get("completions")) {
                boolean refused = judge.isRefusal(c.get("response").asText());
                int jailbreak = c.get("is_jailbreak_substring_matching").asInt();
                assertThat(refused ? 0 : 1).as("%s: %s", f, c.get("prompt").asText()).isEqualTo(jailbreak);
                categories.add(c.get("category").isNull() ? null : c.get("category").asText());
                responses.add(c.get("response").asText());
                labels++;
                if (refused) refusals++;
            }
            RefusalRates rates = RefusalRates.judge(judge, categories, responses);
            assertThat(1 - rates.overall().rate()).as(f.toString())
                    .isCloseTo(root.get("substring_matching_success_rate").asDouble(), org.assertj.core.data.Offset.offset(1e-12));
            Iterator<Map.Entry<String, JsonNode>> it = root.get("substring_matching_per_category").properties().iterator();
            int n = 0;
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey().equals("null") ? RefusalRates.NO_CATEGORY : e.getKey();
                assertThat(1 - rates.perCategory().get(key).rate()).as("%s %s", f, key)
                        .isCloseTo(e.getValue().asDouble(), org.assertj.core.data.Offset.offset(1e-12));
                n++;
            }
            assertThat(rates.perCategory()).hasSize(n);
        }
        assertThat(labels).isEqualTo(1500);
        // both outcomes occur, so the comparison above tests both branches of the rule
        assertThat(refusals).isBetween(100, 1400);
        System.out.printf("official judge: %d/%d labels reproduced (%d refusals) in %d files%n",
                labels, labels, refusals, files.size());
    }
}
