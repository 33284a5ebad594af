package dev.refusal4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.artifacts.FrontFile;
import dev.refusal4j.artifacts.RunContents;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * A run folder with optimize/front.json (optimize --out RUN/optimize) gets an "Automatic
 * optimization" section: the front beside the paper's point, every trial's parameters, the plot;
 * front.json reads back as written, with or without the paper's point.
 */
class OptimizeReportTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    static Map<String, Double> params(double index, double normPreserving) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("direction_index", index);
        m.put("norm_preserving", normPreserving);
        return m;
    }

    /** Trials 0, 2, 3 finished (1 pruned); 2 and 3 on the front. */
    static FrontFile front(FrontFile.Reference paper, String missing) {
        FrontFile.Point t2 = new FrontFile.Point(2, 0.04, 0.0028, new FrontFile.Measure(0.0, 0.104), params(2.75, 1));
        FrontFile.Point t3 = new FrontFile.Point(3, 0.6, 0.0005, new FrontFile.Measure(0.47, 0.08), params(1.5, 0));
        List<FrontFile.Point> finished = List.of(new FrontFile.Point(0, 0.9, 0.0123, null, params(0.25, 0)),
                new FrontFile.Point(2, 0.04, 0.0028, null, params(2.75, 1)), new FrontFile.Point(3, 0.6, 0.0005, null, params(1.5, 0)));
        return new FrontFile("/models/organism", 4, 1, paper, missing, List.of(t3, t2), finished);
    }

    static final FrontFile.Reference PAPER = new FrontFile.Reference(3, -1, new FrontFile.Measure(0.04, 0.0150), new FrontFile.Measure(0.03, 0.169));

    @Test
    void theFileReadsBackAsWritten(@TempDir Path tmp) throws Exception {
        for (FrontFile f : List.of(front(PAPER, null), front(null, "every candidate was filtered out (3 by induce score)"))) {
            Path file = tmp.resolve("front.json");
            f.write(file);
            List<String> problems = new ArrayList<>();
            assertThat(FrontFile.read(Json.read(file), "front.json", problems)).isEqualTo(f);
            assertThat(problems).isEmpty();
        }
        assertThat(Json.read(tmp.resolve("front.json")).has("paper")).isFalse();
    }

    @Test
    void theReportShowsTheFrontBesideThePapersPoint(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Files.createDirectories(tmp.resolve(RunFolder.OPTIMIZE));
        front(PAPER, null).write(new RunFolder(tmp).optimizeFront());
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).isEmpty();
        assertThat(w.plots()).extracting(p -> p.getFileName().toString()).contains("optimize_front.svg", "optimize_front.png");
        String html = Files.readString(tmp.resolve("report.html"));
        Document doc = ReportTest.xml(html.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String text = doc.getDocumentElement().getTextContent();
        assertThat(text).contains("Automatic optimization", "paper (layer 3, position -1)", "3 finished trials, 1 pruned", "direction index", "norm preserving", "2.75");
        assertThat(html).contains("href=\"#optimize\"", "href=\"optimize/front.html\"", "href=\"optimize/front.json\"");
        assertThat(ReportTest.elements(doc, "svg")).extracting(s -> s.getAttribute("aria-label")).contains("refusal rate against KL");
        // the paper's point and both front trials are drawn with their numbers
        String svg = Files.readString(tmp.resolve("plots/optimize_front.svg"));
        assertThat(svg).contains("paper (layer 3, position -1): refusal 4.0%", "trial 2 (front)", "trial 3 (front)", "trial 0: refusal 90.0%");
    }

    @Test
    void withoutThePapersDirectionTheSectionSaysWhy(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Files.createDirectories(tmp.resolve(RunFolder.OPTIMIZE));
        front(null, "every candidate was filtered out").write(new RunFolder(tmp).optimizeFront());
        Report.write(tmp, 8, CLOCK);
        String text = ReportTest.xml(Files.readAllBytes(tmp.resolve("report.html"))).getDocumentElement().getTextContent();
        assertThat(text).contains("The paper's selection found no direction on this model, so its point is missing: every candidate was filtered out")
                .doesNotContain("paper (layer");
    }

    @Test
    void withoutASearchThereIsNoSectionAndADamagedFrontIsListed(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Report.write(tmp, 8, CLOCK);
        assertThat(Files.readString(tmp.resolve("report.html"))).doesNotContain("Automatic optimization");
        Files.createDirectories(tmp.resolve(RunFolder.OPTIMIZE));
        Files.writeString(new RunFolder(tmp).optimizeFront(), "{\"model\": \"m\"}");
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).containsExactly("optimize/front.json: expected a JSON object with a \"front\" array");
        assertThat(RunContents.read(new RunFolder(tmp)).optimize).isNull();
        assertThat(Files.readString(tmp.resolve("report.html"))).contains("Refusal rates").doesNotContain("id=\"optimize\"");
    }
    @Test
    void aSearchOfAnotherModelIsLeftOutAndSaidSo(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Files.createDirectories(tmp.resolve(RunFolder.OPTIMIZE));
        front(PAPER, null).write(new RunFolder(tmp).optimizeFront());   // a search of /models/organism
        Files.writeString(new RunFolder(tmp).settings(), "{\"--model\": \"/models/organism/../organism\"}");
        assertThat(RunContents.read(new RunFolder(tmp)).optimize).isNotNull();   // the same folder, written otherwise

        Files.writeString(new RunFolder(tmp).settings(), "{\"--model\": \"/models/other\"}");
        Report.Written w = Report.write(tmp, 8, CLOCK);
        assertThat(w.problems()).containsExactly("optimize/front.json: a search of /models/organism, not of this run's model /models/other; left out");
        assertThat(Files.readString(tmp.resolve("report.html"))).contains("Refusal rates").doesNotContain("id=\"optimize\"");
    }
}
