package dev.refusal4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.artifacts.Metrics;
import dev.refusal4j.artifacts.RunContents;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** metrics.json's answer_quality: written, read back, and shown as a table in the report. */
class AnswerQualityReportTest {
    @TempDir
    Path dir;

    @Test
    void answerQualityGoesThroughMetricsJsonIntoTheReport() throws Exception {
        Map<String, AnswerQuality.Summary> quality = new LinkedHashMap<>();
        quality.put("harmless_actadd", new AnswerQuality.Summary(100, 0.509, 0.286, 0.0, 100, 0.0074));
        quality.put("harmful_ablation", new AnswerQuality.Summary(100, 0.05, 0.033, 0.06, 0, Double.NaN));
        quality.put("harmless_baseline", new AnswerQuality.Summary(100, 0.052, 0.043, 0.30, 100, 0.105));
        RunFolder folder = new RunFolder(dir);
        new Metrics("m", "t", "j", Map.of(), Map.of(), Map.of(), null, List.of(), Map.of(), Map.of(), Map.of(), null, Map.of(), Map.of(), Map.of(), quality)
                .write(folder.metrics());
        Files.createDirectories(dir.resolve("completions"));
        CompletionsFile.writeJsonl(dir.resolve("completions/harmless_baseline.jsonl"), List.of(new Completion("Q?", "c", "A.")));

        JsonNode aq = Json.read(folder.metrics()).path("answer_quality");
        assertThat(aq.path("harmless_baseline").path("non_words").asDouble()).isEqualTo(0.052);
        assertThat(aq.path("harmless_baseline").path("reference_f1").asDouble()).isEqualTo(0.105);
        assertThat(aq.path("harmful_ablation").has("reference_f1")).isFalse();   // no references: left out, not NaN
        assertThat(aq.path("harmful_ablation").path("with_reference").asInt(-1)).isZero();
        assertThat(RunContents.read(folder).metrics.answerQuality()).isEqualTo(quality);   // NaN equals NaN in a record

        Report.write(dir, 4, Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
        String html = Files.readString(dir.resolve("report.html"));
        String table = html.substring(html.indexOf("<h3>Answer quality</h3>"), html.indexOf("</table>", html.indexOf("<h3>Answer quality</h3>")));
        // rows in the report's order of completion sets, not the file's
        assertThat(table.indexOf("ablation (harmful)")).isLessThan(table.indexOf("baseline (harmless)"));
        assertThat(table.indexOf("baseline (harmless)")).isLessThan(table.indexOf("act. add (harmless)"));
        assertThat(table).contains("<td class=\"num\">50.9%</td><td class=\"num\">28.6%</td><td class=\"num\">0.0%</td><td class=\"num\">0.007 (100)</td>")
                .contains("<td class=\"num\">5.0%</td><td class=\"num\">3.3%</td><td class=\"num\">6.0%</td><td class=\"num\">—</td>");
    }

    @Test
    void metricsWithoutAnswerQualityHaveNoKeyAndNoTable() throws Exception {
        RunFolder folder = new RunFolder(dir);
        new Metrics("m", "t", "j", Map.of(), Map.of(), Map.of(), null, List.of(), Map.of(), Map.of(), Map.of(), null, Map.of(), Map.of(), Map.of(), Map.of())
                .write(folder.metrics());
        assertThat(Json.read(folder.metrics()).has("answer_quality")).isFalse();
        assertThat(RunContents.read(folder).metrics.answerQuality()).isEmpty();
        Files.createDirectories(dir.resolve("completions"));
        CompletionsFile.writeJsonl(dir.resolve("completions/harmless_baseline.jsonl"), List.of(new Completion("Q?", "c", "A.")));
        Report.write(dir, 4, Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
        assertThat(Files.readString(dir.resolve("report.html"))).doesNotContain("Answer quality");
    }
}
