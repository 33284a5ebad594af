package dev.refusal4j.report;

import dev.refusal4j.artifacts.Candidates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * candidates.json as selection writes it without --score-all: a pruned candidate has no scores, one
 * the induce filter removed has its induce score only. The report reads it without a problem, and
 * the heatmaps draw a score that was not computed as a pale "not scored" cell, apart from the gray
 * of a NaN score.
 */
class NotScoredCellsTest {
    private static final double NaN = Double.NaN;

    @Test
    void scoresSelectionDidNotComputeAreDrawnAsNotScored(@TempDir Path tmp) throws Exception {
        List<Candidates.Candidate> list = List.of(
                new Candidates.Candidate(-1, 0, NaN, NaN, NaN, "nan"),                 // a zero candidate: NaN
                new Candidates.Candidate(-1, 1, NaN, -2.5, NaN, "induce < 0.0"),       // stopped after its induce pass
                new Candidates.Candidate(-1, 2, -7.0, 1.5, 0.02, null),                // kept and selected
                new Candidates.Candidate(-1, 3, NaN, NaN, NaN, "layer >= 3"));         // pruned: not scored
        new Candidates("tiny", 4, List.of(-1), list, new Candidates.Cell(-1, 2), Map.of("kl", 0.1, "induce", 0.0, "prune_layer_fraction", 0.2),
                Map.of(-1, "\n"), null, null).write(tmp.resolve("candidates.json"));
        Report.Written w = Report.write(tmp, 8, Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC));
        assertThat(w.problems()).isEmpty();

        Map<String, Element> bypass = cells(tmp, "bypass"), induce = cells(tmp, "induce");
        assertThat(bypass.get("position -1, layer 0").getAttribute("fill")).as("NaN").isEqualTo("#9e9e9e");
        assertThat(tip(bypass.get("position -1, layer 0"))).contains("bypass NaN");
        for (String at : List.of("position -1, layer 1", "position -1, layer 3")) {
            assertThat(bypass.get(at).getAttribute("fill")).as(at).isEqualTo("#f8f8f8");
            assertThat(tip(bypass.get(at))).as(at).contains("bypass not scored").contains("KL not scored").doesNotContain("NaN");
        }
        assertThat(tip(bypass.get("position -1, layer 1"))).contains("induce -2.5", "filtered: induce < 0.0");
        assertThat(induce.get("position -1, layer 1").getAttribute("fill")).as("its induce score is drawn").isNotIn("#f8f8f8", "#9e9e9e");
        assertThat(induce.get("position -1, layer 3").getAttribute("fill")).isEqualTo("#f8f8f8");
        assertThat(Files.readString(tmp.resolve("plots/heatmap_bypass.svg"))).contains("not scored (2; --score-all scores them)");
        assertThat(Files.readString(tmp.resolve("plots/heatmap_induce.svg"))).contains("not scored (1; --score-all scores them)");
    }

    private static Map<String, Element> cells(Path run, String score) throws Exception {
        Document svg = ReportTest.xml(Files.readAllBytes(run.resolve("plots/heatmap_" + score + ".svg")));
        Map<String, Element> out = new TreeMap<>();
        for (Element r : ReportTest.elements(svg, "rect")) {
            if (ReportTest.elements(r, "title").isEmpty()) continue;
            String t = tip(r);
            out.put(t.substring(0, t.indexOf(':')), r);
        }
        return out;
    }

    private static String tip(Element cell) {
        return ReportTest.elements(cell, "title").getFirst().getTextContent();
    }
}
