package dev.refusal4j.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The heatmaps of the paper's own published candidate scores (../shared runs of three models):
 * the outlined cell is the published choice, and exactly the candidates the official code
 * filtered out are crossed out.
 */
class PublishedRunsTest {
    /** llama-2's published scores hold bare NaN (Python's json). */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    @Test
    void heatmapsOfThePublishedRuns(@TempDir Path tmp) throws Exception {
        for (String model : List.of("gemma-2b-it", "llama-2-7b-chat-hf", "qwen-1_8b-chat")) {
            Path src = Shared.path("datasets", "refusal_direction_runs", "runs", model);
            JsonNode all = JSON.readTree(src.resolve("select_direction/direction_evaluations.json").toFile());
            JsonNode kept = JSON.readTree(src.resolve("select_direction/direction_evaluations_filtered.json").toFile());
            JsonNode meta = JSON.readTree(src.resolve("direction_metadata.json").toFile());
            Set<String> keptKeys = new HashSet<>();
            for (JsonNode k : kept) keptKeys.add(k.get("position").asInt() + "/" + k.get("layer").asInt());

            ObjectNode c = JSON.createObjectNode().put("model", model);
            ArrayNode list = c.putArray("candidates");
            double absMax = 0;
            String extreme = null;
            for (JsonNode e : all) {
                String key = e.get("position").asInt() + "/" + e.get("layer").asInt();
                ObjectNode o = list.addObject().put("position", e.get("position").asInt()).put("layer", e.get("layer").asInt())
                        .put("bypass_score", e.get("refusal_score").asDouble()).put("induce_score", e.get("steering_score").asDouble())
                        .put("kl_score", e.get("kl_div_score").asDouble());
                if (keptKeys.contains(key)) o.putNull("filtered"); else o.put("filtered", "official filter");
                double b = e.get("refusal_score").asDouble();
                if (Math.abs(b) > absMax) {
                    absMax = Math.abs(b);
                    extreme = "position " + e.get("position").asInt() + ", layer " + e.get("layer").asInt() + (b < 0 ? "-" : "+");
                }
            }
            c.putObject("selected").put("position", meta.get("pos").asInt()).put("layer", meta.get("layer").asInt());
            Path run = Files.createDirectories(tmp.resolve(model));
            JSON.writeValue(run.resolve("candidates.json").toFile(), c);
            Report.write(run, 8, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));

            Document svg = ReportTest.xml(Files.readAllBytes(run.resolve("plots/heatmap_bypass.svg")));
            Element sel = null;
            int crossed = 0;
            for (Element r : ReportTest.elements(svg, "rect")) {
                List<Element> t = ReportTest.elements(r, "title");
                if (t.isEmpty()) continue;
                String tip = t.getFirst().getTextContent();
                if (tip.startsWith("position " + meta.get("pos").asInt() + ", layer " + meta.get("layer").asInt() + ":")) sel = r;
                if (tip.contains("filtered:")) crossed++;
                if (tip.startsWith(extreme.substring(0, extreme.length() - 1) + ":")) {
                    // the largest |score| sits at an end of the diverging map
                    assertThat(r.getAttribute("fill")).as(model).isEqualTo(extreme.endsWith("-") ? "#053061" : "#67001f");
                }
            }
            assertThat(crossed).as(model).isEqualTo(all.size() - kept.size());
            assertThat(sel).as(model).isNotNull();
            double x = Double.parseDouble(sel.getAttribute("x")), y = Double.parseDouble(sel.getAttribute("y"));
            long outlines = ReportTest.elements(svg, "rect").stream().filter(r -> r.getAttribute("stroke").equals("#000000")
                    && Double.parseDouble(r.getAttribute("x")) == x - 1 && Double.parseDouble(r.getAttribute("y")) == y - 1).count();
            assertThat(outlines).as(model).isEqualTo(1);
            assertThat(Files.readString(run.resolve("report.html"))).contains("layer " + meta.get("layer").asInt() + ", pos " + meta.get("pos").asInt());
        }
    }
}
