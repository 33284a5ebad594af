package dev.refusal4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.report.Report;
import dev.refusal4j.report.SyntheticRun;
import dev.refusal4j.testutil.HeadlessChromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The playground in a real browser (headless Chromium, driven over the DevTools protocol): a
 * link with {@code &auto=1} asks one harmful prompt of the organism as it is and with r̂ ablated;
 * both answers stream into the page side by side and equal {@link dev.refusal4j.generate.TextGenerator}'s
 * greedy answers; the screenshot shows ink in both answer boxes where there was none before; the
 * run's heatmap is drawn; the page throws nothing and logs no error.
 *
 * <p>Fails, never skips, without a browser: {@code .ci/run} installs Debian's chromium.
 */
@Timeout(300)
class PlaygroundBrowserTest {
    @TempDir
    static Path tmp;
    static Organism organism;
    static ChatServer server;

    @BeforeAll
    static void start() throws Exception {
        organism = new Organism();
        Path direction = tmp.resolve("direction.safetensors");
        organism.direction.write(direction);
        Path run = tmp.resolve("run");
        SyntheticRun.write(run, 7);
        Report.write(run);
        server = ChatServer.start(Organism.DIR, organism.model, organism.direction, null, null, null,
                new ChatServer.Options("127.0.0.1", 0, 8, null, Duration.ofMinutes(2), 4), Playground.Run.read(run),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (organism != null) organism.close();
    }

    @Test
    void bothAnswersStreamSideBySideAndEqualTheGeneratorsAnswers() throws Exception {
        Path browser = HeadlessChromium.find();
        assertThat(browser).as("headless Chromium is needed (apt-get install chromium; .ci/run installs it), or set REFUSAL4J_CHROMIUM").isNotNull();
        String prompt = Organism.split("harmful_test").getFirst();
        int maxTokens = 40;
        String base = organism.answer(prompt, maxTokens, false), ablated = organism.answer(prompt, maxTokens, true);
        assertThat(ablated).as("ablation changes the organism's answer to a harmful prompt").isNotEqualTo(base);
        String url = "http://127.0.0.1:" + server.port() + "/?prompt=" + URLEncoder.encode(prompt, StandardCharsets.UTF_8)
                + "&mode=ablate&max_tokens=" + maxTokens;

        try (HeadlessChromium chromium = HeadlessChromium.start(browser, 1200, 900)) {
            chromium.navigate(url);
            chromium.waitFor("document.getElementById('steered-note').textContent !== ''", Duration.ofSeconds(30));
            assertThat(chromium.evaluate("document.getElementById('prompt').value").asText()).isEqualTo(prompt);
            assertThat(chromium.evaluate("document.getElementById('steered-note').textContent").asText()).isEqualTo("ablate r̂ at layers 0-5");
            Rect[] boxes = boxes(chromium);
            BufferedImage before = ImageIO.read(new ByteArrayInputStream(chromium.screenshot()));
            for (Rect r : boxes) assertThat(ink(before, r)).as("an empty answer box").isZero();

            chromium.navigate(url + "&auto=1");
            String done = "['base', 'steered'].every(id => document.getElementById(id).dataset.state !== 'streaming')";
            chromium.waitFor(done, Duration.ofSeconds(120));
            chromium.waitFor("document.getElementById('heatmap').complete && document.getElementById('heatmap').naturalWidth > 0", Duration.ofSeconds(30));
            byte[] png = chromium.screenshot();
            Files.createDirectories(Path.of("target"));
            Files.write(Path.of("target", "playground-screenshot.png"), png); // for a person to look at

            assertThat(chromium.evaluate("document.getElementById('base').dataset.state").asText()).isEqualTo("done");
            assertThat(chromium.evaluate("document.getElementById('steered').dataset.state").asText()).isEqualTo("done");
            assertThat(chromium.evaluate("document.getElementById('base').textContent").asText()).isEqualTo(base);
            assertThat(chromium.evaluate("document.getElementById('steered').textContent").asText()).isEqualTo(ablated);
            // the address now reproduces the comparison, without asking again by itself
            assertThat(chromium.evaluate("location.search").asText()).contains("mode=ablate").doesNotContain("auto");

            boxes = boxes(chromium);
            assertThat(boxes[0].y).as("side by side").isEqualTo(boxes[1].y);
            assertThat(boxes[0].x + boxes[0].w).as("base on the left").isLessThanOrEqualTo(boxes[1].x);
            BufferedImage after = ImageIO.read(new ByteArrayInputStream(png));
            for (Rect r : boxes) assertThat(ink(after, r)).as("text drawn in the answer box at %s", r).isGreaterThan(100);
            Rect map = rect(chromium.evaluate(rectOf("document.getElementById('heatmap')")));
            assertThat(map.w).as("the heatmap is shown").isGreaterThan(100);
            assertThat(chromium.errors()).as("errors in the page").isEmpty();
        }
    }

    record Rect(int x, int y, int w, int h) {}

    private static String rectOf(String element) {
        return "(() => { const r = " + element + ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height].map(Math.round); })()";
    }

    private static Rect rect(JsonNode v) {
        return new Rect(v.get(0).asInt(), v.get(1).asInt(), v.get(2).asInt(), v.get(3).asInt());
    }

    private static Rect[] boxes(HeadlessChromium chromium) throws Exception {
        return new Rect[] {rect(chromium.evaluate(rectOf("document.getElementById('base')"))),
                rect(chromium.evaluate(rectOf("document.getElementById('steered')")))};
    }

    /** Dark pixels (text) inside {@code r}, within the screenshot. */
    private static int ink(BufferedImage img, Rect r) {
        int n = 0;
        for (int y = Math.max(0, r.y); y < Math.min(img.getHeight(), r.y + r.h); y++) {
            for (int x = Math.max(0, r.x); x < Math.min(img.getWidth(), r.x + r.w); x++) {
                int rgb = img.getRGB(x, y);
                int lum = (((rgb >> 16) & 255) * 299 + ((rgb >> 8) & 255) * 587 + (rgb & 255) * 114) / 1000;
                if (lum < 100) n++;
            }
        }
        return n;
    }
}
