package dev.refusal4j.report;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run that stopped early, or left a damaged file, still gets a report of what exists. */
class PartialRunTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    private static String text(Path dir) throws Exception {
        return ReportTest.xml(Files.readAllBytes(dir.resolve("report.html"))).getDocumentElement().getTextContent();
    }

    @Test
    void onlyCandidates(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 7);
        Files.delete(tmp.resolve("metrics.json"));
        Files.delete(tmp.resolve("direction.json"));
        for (String c : SyntheticRun.CONDITIONS) Files.delete(tmp.resolve("completions/" + c + ".jsonl"));
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).isEmpty();
        assertThat(w.plots()).extracting(p -> p.getFileName().toString()).containsExactly(
                "heatmap_bypass.svg", "heatmap_bypass.png", "heatmap_induce.svg", "heatmap_induce.png", "heatmap_kl.svg", "heatmap_kl.png");
        assertThat(text(tmp)).contains("metrics.json not found", "direction.json not found", "No completions found", "layer 5, pos -2", "not measured");
    }

    @Test
    void onlyMetricsAndSomeCompletions(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 7);
        Files.delete(tmp.resolve("candidates.json"));
        Files.delete(tmp.resolve("completions/harmful_ablation.jsonl"));
        Report.Written w = Report.write(tmp, 3, CLOCK);
        assertThat(w.plots()).extracting(p -> p.getFileName().toString()).containsExactly(
                "refusal_rate.svg", "refusal_rate.png", "refusal_rate_by_category.svg", "refusal_rate_by_category.png");
        String text = text(tmp);
        assertThat(text).contains("candidates.json not found", "no completion", "97.0%");
        // the direction still comes from direction.json
        assertThat(text).contains("layer 5, pos -2");
    }

    @Test
    void damagedFilesAreListedAndTheRestIsShown(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 7);
        Files.writeString(tmp.resolve("metrics.json"), "{\"refusal_rate\": {\"harmful_baseline\": 0.9,");
        Files.writeString(tmp.resolve("completions/harmless_actadd.jsonl"),
                "{\"instruction\": \"a\", \"category\": \"harmless\", \"response\": \"fine\"}\nnot json\n");
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).hasSize(2);
        assertThat(w.problems().get(0)).startsWith("metrics.json: not readable JSON");
        // a damaged completions file is not half-read: it is listed, with the line that is wrong
        assertThat(w.problems().get(1)).startsWith("completions/harmless_actadd.jsonl: ").contains("line 2: not valid JSON");
        String text = text(tmp);
        assertThat(text).contains("could not be read", "metrics.json: not readable JSON", "Bypass score",
                "metrics.json could not be read (see the list at the top)").doesNotContain("metrics.json not found");
    }

    @Test
    void pythonStyleNanAndMissingFieldsAreTolerated(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("candidates.json"), """
                {"candidates": [
                  {"position": -1, "layer": 0, "bypass_score": NaN, "induce_score": 1.0, "kl_score": 0.01, "filtered": "nan"},
                  {"position": -1, "layer": 1, "bypass_score": -2.0, "induce_score": 3.0, "kl_score": 0.02, "filtered": null},
                  {"position": -1, "layer": 2},
                  {"layer": 3, "bypass_score": 1.0}
                ]}""");
        Report.Written w = Report.write(tmp, 8, CLOCK);
        var a = dev.refusal4j.artifacts.RunContents.read(new dev.refusal4j.artifacts.RunFolder(tmp));
        assertThat(a.candidates.numLayers()).isEqualTo(3); // inferred from the highest layer
        assertThat(a.candidates.list()).hasSize(3);
        assertThat(a.candidates.list().getFirst().bypass()).isNaN();
        assertThat(a.candidates.list().get(2).kl()).isNaN();
        assertThat(a.candidates.selected()).isNull();
        assertThat(w.problems()).containsExactly("candidates.json: candidate 4 has no integer position/layer; skipped");
        assertThat(text(tmp)).contains("no candidate selected");
    }

    @Test
    void folderWithoutArtifactsOrMissingFolderIsAnError(@TempDir Path tmp) {
        assertThatThrownBy(() -> Report.write(tmp.resolve("nope")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("run directory not found").hasMessageContaining("nope");
        assertThatThrownBy(() -> Report.write(tmp))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no run artifacts in " + tmp);
    }
}
