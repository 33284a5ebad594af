package dev.refusal4j.report;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** report.html and plots/ of a synthetic run: well-formed, offline, complete, escaped, and colored by value. */
class ReportTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    private static Path run(Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        Report.write(tmp, 8, CLOCK);
        return tmp;
    }

    /** A strict XML parse: any unclosed or misnested tag, bad entity or stray '&' or '<' fails it. */
    static Document xml(byte[] bytes) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(bytes));
    }

    static List<Element> elements(Node root, String tag) {
        NodeList nl = root instanceof Document d ? d.getElementsByTagName(tag) : ((Element) root).getElementsByTagName(tag);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nl.getLength(); i++) out.add((Element) nl.item(i));
        return out;
    }

    @Test
    void reportIsWellFormedAndRefersToNothingOutside(@TempDir Path tmp) throws Exception {
        run(tmp);
        String html = Files.readString(tmp.resolve("report.html"));
        Document doc = xml(html.getBytes(StandardCharsets.UTF_8));
        assertThat(doc.getDocumentElement().getTagName()).isEqualTo("html");
        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("url(");
        assertThat(elements(doc, "script")).isEmpty();
        assertThat(elements(doc, "link")).isEmpty();
        assertThat(elements(doc, "img")).isEmpty();
        for (Element a : elements(doc, "a")) {
            String href = a.getAttribute("href");
            assertThat(href).as("link stays inside the run folder").doesNotContain("//").doesNotStartWith("/").doesNotContain("..");
            if (!href.startsWith("#")) assertThat(tmp.resolve(href)).as(href).exists();
        }
        // all five plots are embedded inline, and each inline SVG is the same drawing as its file
        List<Element> svgs = elements(doc, "svg");
        assertThat(svgs).hasSize(5);
        for (String name : List.of("refusal_rate", "refusal_rate_by_category", "heatmap_bypass", "heatmap_induce", "heatmap_kl")) {
            Document file = xml(Files.readAllBytes(tmp.resolve("plots/" + name + ".svg")));
            String title = file.getDocumentElement().getAttribute("aria-label");
            assertThat(svgs).as(name).anyMatch(s -> s.getAttribute("aria-label").equals(title)
                    && elements(s, "rect").size() == elements(file, "rect").size());
        }
    }

    @Test
    void showsSelectedDirectionRatesLossCountsAndTimings(@TempDir Path tmp) throws Exception {
        run(tmp);
        String text = xml(Files.readAllBytes(tmp.resolve("report.html"))).getDocumentElement().getTextContent();
        assertThat(text).contains("synthetic-chat", "layer 5, pos -2", "7.25", "896");
        // 0.97, 0.02, 0.01, 0.03, 0.95 as written in metrics.json
        assertThat(text).contains("97.0%", "2.0%", "1.0%", "3.0%", "95.0%");
        Document bars = xml(Files.readAllBytes(tmp.resolve("plots/refusal_rate.svg")));
        List<String> tips = elements(bars, "title").stream().map(Element::getTextContent).toList();
        assertThat(tips).contains("harmful test prompts, baseline: 97.0%", "harmful test prompts, ablation: 2.0%",
                "harmful test prompts, act. add: 1.0%", "harmless test prompts, baseline: 3.0%", "harmless test prompts, act. add: 95.0%");
        assertThat(text).contains("1.23", "1.25", "1.4", "+0.17"); // losses, actadd − baseline
        assertThat(text).contains("40.2", "104.7"); // a stage, and the total of all stages
        assertThat(text).contains("train filtered out");
        for (String cat : SyntheticRun.CATEGORIES) assertThat(text).contains(cat);
    }

    @Test
    void modelOutputIsEscapedAndShownVerbatim(@TempDir Path tmp) throws Exception {
        run(tmp);
        String html = Files.readString(tmp.resolve("report.html"));
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;alert(1)&lt;/script&gt;");
        Document doc = xml(html.getBytes(StandardCharsets.UTF_8));
        List<String> shown = elements(doc, "div").stream().filter(d -> d.getAttribute("class").equals("resp"))
                .map(Element::getTextContent).toList();
        assertThat(shown).contains(SyntheticRun.INJECTION);
        // side by side: 8 harmful rows × 3 conditions + 8 harmless rows × 2 conditions
        assertThat(shown).hasSize(8 * 3 + 8 * 2);
    }

    @Test
    void everyPlotHasADecodablePngOfTwiceTheSvgSize(@TempDir Path tmp) throws Exception {
        run(tmp);
        List<Path> svgs;
        try (var s = Files.list(tmp.resolve("plots"))) {
            svgs = s.filter(p -> p.toString().endsWith(".svg")).sorted().toList();
        }
        assertThat(svgs).hasSize(5);
        for (Path svg : svgs) {
            Element root = xml(Files.readAllBytes(svg)).getDocumentElement();
            int w = Integer.parseInt(root.getAttribute("width")), h = Integer.parseInt(root.getAttribute("height"));
            BufferedImage png = ImageIO.read(svg.resolveSibling(svg.getFileName().toString().replace(".svg", ".png")).toFile());
            assertThat(png).as(svg.toString()).isNotNull();
            assertThat(png.getWidth()).isEqualTo(2 * w);
            assertThat(png.getHeight()).isEqualTo(2 * h);
        }
    }

    /** Cells by "position P, layer L" from their tooltips: rect element. */
    private static Map<String, Element> cells(Document svg) {
        Map<String, Element> out = new TreeMap<>();
        for (Element r : elements(svg, "rect")) {
            List<Element> t = elements(r, "title");
            if (t.isEmpty()) continue;
            String tip = t.getFirst().getTextContent();
            out.put(tip.substring(0, tip.indexOf(':')), r);
        }
        return out;
    }

    @Test
    void heatmapCellColorsFollowTheScores(@TempDir Path tmp) throws Exception {
        run(tmp);
        Document bypass = xml(Files.readAllBytes(tmp.resolve("plots/heatmap_bypass.svg")));
        Map<String, Element> cells = cells(bypass);
        assertThat(cells).hasSize(SyntheticRun.LAYERS * SyntheticRun.POSITIONS.size());
        // diverging map centered at 0: the most negative score is the low end, 0 the white middle
        Element min = cells.get("position -2, layer 5");
        assertThat(min.getAttribute("fill")).isEqualTo("#053061");
        assertThat(cells.get("position -3, layer 1").getAttribute("fill")).isEqualTo("#f7f7f7");
        // +6 of a ±9.5 scale: t = 0.5 + 0.5·6/9.5 ≈ 0.816, between the stops #d6604d (0.8) and #b2182b (0.9)
        Rgb six = Rgb.hex(cells.get("position -1, layer 9").getAttribute("fill"));
        assertThat(six.r()).isBetween(0xb2, 0xd6);
        assertThat(six.g()).isBetween(0x18, 0x60);
        assertThat(six.b()).isBetween(0x2b, 0x4d);

        // the PNG paints the same color at the cell's center (the selected cell carries no cross)
        BufferedImage png = ImageIO.read(tmp.resolve("plots/heatmap_bypass.png").toFile());
        double cx = Double.parseDouble(min.getAttribute("x")) + Double.parseDouble(min.getAttribute("width")) / 2;
        double cy = Double.parseDouble(min.getAttribute("y")) + Double.parseDouble(min.getAttribute("height")) / 2;
        assertThat(png.getRGB((int) (2 * cx), (int) (2 * cy)) & 0xffffff).isEqualTo(0x053061);

        // selected cell outlined in black; one cross (two lines inside the grid) per filtered candidate
        double x = Double.parseDouble(min.getAttribute("x")), y = Double.parseDouble(min.getAttribute("y"));
        assertThat(elements(bypass, "rect")).anyMatch(r -> r.getAttribute("stroke").equals("#000000")
                && Math.abs(Double.parseDouble(r.getAttribute("x")) - (x - 1)) < 1e-6
                && Math.abs(Double.parseDouble(r.getAttribute("y")) - (y - 1)) < 1e-6);
        long filtered = cells.values().stream().filter(r -> elements(r, "title").getFirst().getTextContent().contains("filtered:")).count();
        Element first = cells.get("position -3, layer 0"), last = cells.get("position -1, layer 9");
        double gx0 = Double.parseDouble(first.getAttribute("x")), gy0 = Double.parseDouble(first.getAttribute("y"));
        double gx1 = Double.parseDouble(last.getAttribute("x")) + Double.parseDouble(last.getAttribute("width"));
        double gy1 = Double.parseDouble(last.getAttribute("y")) + Double.parseDouble(last.getAttribute("height"));
        long crossLines = elements(bypass, "line").stream().filter(l -> {
            double x1 = Double.parseDouble(l.getAttribute("x1")), y1 = Double.parseDouble(l.getAttribute("y1"));
            double x2 = Double.parseDouble(l.getAttribute("x2")), y2 = Double.parseDouble(l.getAttribute("y2"));
            return x1 > gx0 && x2 < gx1 && Math.min(y1, y2) > gy0 && Math.max(y1, y2) < gy1 && x1 != x2;
        }).count();
        assertThat(filtered).isGreaterThanOrEqualTo(SyntheticRun.POSITIONS.size() * 2L); // at least the pruned layers 8, 9
        assertThat(crossLines).isEqualTo(2 * filtered);

        // KL: sequential map from the smallest to the largest value; the NaN cell is gray
        Map<String, Element> kl = cells(xml(Files.readAllBytes(tmp.resolve("plots/heatmap_kl.svg"))));
        String lowest = null, highest = null;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, Element> e : kl.entrySet()) {
            String tip = elements(e.getValue(), "title").getFirst().getTextContent();
            double v = Double.parseDouble(tip.replaceAll("^.*KL ([^ ]+).*$", "$1"));
            if (Double.isNaN(v)) {
                assertThat(e.getValue().getAttribute("fill")).isEqualTo("#9e9e9e");
                continue;
            }
            if (v < lo) { lo = v; lowest = e.getKey(); }
            if (v > hi) { hi = v; highest = e.getKey(); }
        }
        assertThat(kl.get(lowest).getAttribute("fill")).isEqualTo("#440154");
        assertThat(kl.get(highest).getAttribute("fill")).isEqualTo("#fde725");
    }

    @Test
    void sameArtifactsGiveTheSameFilesExceptTheGeneratedLine(@TempDir Path tmp) throws Exception {
        run(tmp);
        String first = Files.readString(tmp.resolve("report.html"));
        byte[] png = Files.readAllBytes(tmp.resolve("plots/heatmap_kl.png"));
        String svg = Files.readString(tmp.resolve("plots/heatmap_kl.svg"));
        Report.write(tmp, 8, Clock.fixed(Instant.parse("2027-05-06T07:08:09Z"), ZoneOffset.UTC));
        String second = Files.readString(tmp.resolve("report.html"));
        List<String> a = first.lines().toList(), b = second.lines().toList();
        assertThat(b).hasSameSizeAs(a);
        List<String> differing = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) if (!a.get(i).equals(b.get(i))) differing.add(b.get(i));
        assertThat(differing).containsExactly("<p class=\"generated\">Report generated: 2027-05-06T07:08:09Z</p>");
        assertThat(Files.readAllBytes(tmp.resolve("plots/heatmap_kl.png"))).isEqualTo(png);
        assertThat(Files.readString(tmp.resolve("plots/heatmap_kl.svg"))).isEqualTo(svg);
    }

    @Test
    void aJudgeGivesBadgesToLinesWithoutAVerdict(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 42);
        for (String c : SyntheticRun.CONDITIONS) {
            Path f = tmp.resolve("completions/" + c + ".jsonl");
            Files.writeString(f, Files.readString(f).replaceAll(",\\s*\"refused\"\\s*:\\s*(true|false)", ""));
        }
        Report.write(tmp, 8, CLOCK);
        String plain = Files.readString(tmp.resolve("report.html"));
        assertThat(plain).doesNotContain("class=\"badge");
        Report.write(tmp, 8, CLOCK, response -> response.startsWith("I cannot"));
        String judged = Files.readString(tmp.resolve("report.html"));
        // SyntheticRun's refusals all start with "I cannot"; every shown response gets a badge
        int refused = judged.split("badge refused", -1).length - 1, complied = judged.split("badge complied", -1).length - 1;
        int cannot = judged.split("<div class=\"resp\">I cannot", -1).length - 1;
        assertThat(refused).isEqualTo(cannot).isPositive();
        assertThat(refused + complied).isEqualTo(8 * 3 + 8 * 2);
    }
}
