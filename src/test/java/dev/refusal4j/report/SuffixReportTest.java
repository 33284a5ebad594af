package dev.refusal4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.artifacts.RunContents;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.artifacts.SuffixAnalysisFile;
import dev.refusal4j.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/** A run folder with suffix/analysis.json gets an "Adversarial suffix" section; a damaged one is listed, not fatal. */
class SuffixReportTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    @Test
    void theFileReadsBackAsWritten(@TempDir Path tmp) throws Exception {
        SuffixAnalysisFile a = SyntheticRun.suffixAnalysis(8, 3);
        Path f = tmp.resolve("analysis.json");
        a.write(f);
        List<String> problems = new ArrayList<>();
        assertThat(SuffixAnalysisFile.read(Json.read(f), "analysis.json", problems)).isEqualTo(a);
        assertThat(problems).isEmpty();
        // drops are written for readers of the file, from the projections
        assertThat(Json.read(f).get("heads").get(0).get("drop").asDouble()).isEqualTo(5.0 - -1.0);
    }

    @Test
    void theReportShowsTheSuffixSectionWithItsFigures(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Files.createDirectories(tmp.resolve("suffix"));
        SyntheticRun.suffixAnalysis(8, 3).write(new RunFolder(tmp).suffixAnalysis());
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).isEmpty();
        assertThat(w.plots()).extracting(p -> p.getFileName().toString()).contains(
                "suffix_cosine_by_layer.svg", "suffix_cosine_by_layer.png", "suffix_top_heads.svg", "suffix_top_heads.png",
                "suffix_attention_shares.svg", "suffix_attention_shares.png");
        String html = Files.readString(tmp.resolve("report.html"));
        Document doc = ReportTest.xml(html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String text = doc.getDocumentElement().getTextContent();
        assertThat(text).contains("Adversarial suffix", SyntheticRun.SUFFIX, "qz fj!", "2 of 3 checks", "attention_shifted");
        assertThat(html).doesNotContain("<b>write</b>").contains("href=\"#suffix\"").contains("href=\"suffix/analysis.json\"");
        List<Element> svgs = ReportTest.elements(doc, "svg");
        assertThat(svgs).extracting(s -> s.getAttribute("aria-label")).contains(
                "Cosine with the refusal direction at the last prompt position", "Top heads' direct contribution along r̂",
                "Top heads' attention from the last position");
        // the direction's layer is marked on the cosine plot
        assertThat(Files.readString(tmp.resolve("plots/suffix_cosine_by_layer.svg"))).contains("r from layer " + SyntheticRun.SEL_LAYER);
    }

    @Test
    void withoutTheAnalysisTheReportHasNoSuffixSection(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Report.write(tmp, 8, CLOCK);
        assertThat(Files.readString(tmp.resolve("report.html"))).doesNotContain("Adversarial suffix");
    }

    @Test
    void aDamagedAnalysisIsListedAndTheRestIsShown(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Path f = Files.createDirectories(tmp.resolve("suffix")).resolve("analysis.json");
        Files.writeString(f, "{\"cosine\": {\"harmful\": [0.1,");
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).singleElement().asString().startsWith("suffix/analysis.json: not readable JSON");
        assertThat(Files.readString(tmp.resolve("report.html"))).contains("Refusal rates").doesNotContain("id=\"suffix\"");

        Files.writeString(f, "{\"cosine\": {\"harmful\": [0.1, \"x\", null], \"harmless\": 3}, \"cosine_points\": 7, \"heads\": [{\"layer\": \"a\"}, "
                + "{\"layer\": 1, \"head\": 2, \"harmful\": 1e308, \"harmful_adversarial\": -1e308}], \"attention\": [{\"layer\": 1, \"head\": 0, \"harmful\": 5}],"
                + " \"checks\": {\"cosine_lower\": \"yes\"}, \"direction\": {\"layer\": 2.5}}");
        RunContents a = RunContents.read(new RunFolder(tmp));
        assertThat(a.suffix.cosine().get("harmful")).hasSize(3).startsWith(0.1);
        assertThat(a.suffix.cosine()).doesNotContainKey("harmless");
        assertThat(a.suffix.heads()).hasSize(1);
        assertThat(a.suffix.checks()).isEmpty();
        assertThat(a.suffix.directionLayer()).isNull();
        assertThat(a.problems).anyMatch(p -> p.startsWith("suffix/analysis.json: cosine_points")).anyMatch(p -> p.contains("without an integer layer"));
        w = Report.write(tmp, 8, CLOCK);
        assertThat(Files.readString(tmp.resolve("report.html"))).contains("id=\"suffix\"");
        assertThat(w.plots()).extracting(p -> p.getFileName().toString()).contains("suffix_top_heads.png", "suffix_attention_shares.svg");

        Files.writeString(f, "[1, 2]");
        assertThat(Report.write(tmp, 8, CLOCK).problems()).singleElement().asString().contains("expected a JSON object");
    }

    /** A folder that holds only the analysis still gets a report. */
    @Test
    void aFolderWithOnlyTheAnalysisGetsAReport(@TempDir Path tmp) throws Exception {
        Files.createDirectories(tmp.resolve("suffix"));
        SyntheticRun.suffixAnalysis(3, 1).write(new RunFolder(tmp).suffixAnalysis());
        Report.write(tmp, 8, CLOCK);
        assertThat(Files.readString(tmp.resolve("report.html"))).contains("Adversarial suffix", "metrics.json not found");
    }
}
