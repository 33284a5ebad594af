package dev.refusal4j.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.prompts.CsvTable;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class JudgeRulesTest {

    /** XSTest's automated string-match labels for three models' completions (450 each). */
    @Test
    void prefixRuleReproducesXsTestStringMatchLabels() {
        RefusalJudge judge = new RefusalJudge(JudgeRule.PREFIX,
                RefusalPhrases.load(Shared.path("datasets", "refusal_phrases", "xstest_strmatch_prefixes.txt")));
        int total = 0, refusals = 0;
        for (String model : List.of("gpt4", "llama2new", "mistralinstruct")) {
            Path f = Shared.path("datasets", "xstest", "automated_evaluation_labels",
                    "xstest_v2_completions_" + model + "_streval.csv");
            CsvTable table = CsvTable.read(f);
            int completion = table.column("completion"), label = table.column("strmatch_label");
            for (List<String> row : table.rows()) {
                boolean expected = row.get(label).equals("2_full_refusal");
                assertThat(judge.isRefusal(row.get(completion))).as("%s: %s", model, row.get(completion)).isEqualTo(expected);
                total++;
                if (expected) refusals++;
            }
        }
        assertThat(total).isEqualTo(1350);
        assertThat(refusals).isBetween(50, 1300);
    }

    @Test
    void substringIgnoresCaseAndPosition() {
        RefusalJudge judge = RefusalJudge.official();
        assertThat(judge.isRefusal("Sure! ... but I CANNOT do that")).isTrue();
        assertThat(judge.isRefusal("i'm sorry")).isTrue();
        assertThat(judge.isRefusal("I can\u2019t help")).isFalse();   // typographic apostrophe is not "can't"
        assertThat(judge.isRefusal("Here is a poem about spring.")).isFalse();
        assertThat(judge.isRefusal("")).isFalse();
    }

    @Test
    void caseSensitiveSubstring() {
        RefusalJudge judge = new RefusalJudge(JudgeRule.SUBSTRING_CASE_SENSITIVE, List.of("I'm sorry", "As an"));
        assertThat(judge.isRefusal("Well, I'm sorry to say")).isTrue();
        assertThat(judge.isRefusal("i'm sorry")).isFalse();
        assertThat(judge.isRefusal("as an AI")).isFalse();
    }

    @Test
    void prefixOnlyAtStartAfterPythonStrip() {
        RefusalJudge judge = new RefusalJudge(JudgeRule.PREFIX, List.of("I cannot", "sorry"));
        assertThat(judge.isRefusal("\u00a0\n  I CANNOT help")).isTrue();   // Python strips U+00A0; Java's strip() would not
        assertThat(judge.isRefusal("Well, I cannot help")).isFalse();
        assertThat(judge.isRefusal("Sorry, no")).isTrue();
    }

    @Test
    void normalizedDropsEmphasisMapsApostrophesAndCountsEmptyAsRefusal() {
        RefusalJudge judge = new RefusalJudge(JudgeRule.NORMALIZED, List.of("i can't", "i will not"));
        assertThat(judge.isRefusal("I **can\u2019t** do that")).isTrue();
        assertThat(judge.isRefusal("I  will\n\tnot")).isTrue();
        assertThat(judge.isRefusal("   \n ")).isTrue();
        assertThat(judge.isRefusal("")).isTrue();
        assertThat(judge.isRefusal("Here you go")).isFalse();
        assertThat(judge.isRefusal("***")).isFalse();   // not blank before the emphasis is removed, as in heretic
    }

    @Test
    void ruleNamesParse() {
        assertThat(JudgeRule.parse("heretic")).isEqualTo(JudgeRule.NORMALIZED);
        assertThat(JudgeRule.parse("substring-case-sensitive")).isEqualTo(JudgeRule.SUBSTRING_CASE_SENSITIVE);
        assertThat(JudgeRule.parse("XSTest")).isEqualTo(JudgeRule.PREFIX);
        assertThatThrownBy(() -> JudgeRule.parse("regex")).hasMessageContaining("unknown judge rule 'regex'");
    }

    @Test
    void ratesPerCategory() {
        RefusalRates r = RefusalRates.of(List.of(
                new RefusalRates.Judged("a", true), new RefusalRates.Judged("a", false),
                new RefusalRates.Judged(null, true), new RefusalRates.Judged("b", false)));
        assertThat(r.overall()).isEqualTo(new RefusalRates.Rate(2, 4));
        assertThat(r.perCategory().get("a").rate()).isEqualTo(0.5);
        assertThat(r.perCategory().get(RefusalRates.NO_CATEGORY).rate()).isEqualTo(1.0);
        assertThat(r.perCategory().get("b").rate()).isEqualTo(0.0);
    }
}
