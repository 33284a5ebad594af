package dev.refusal4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.report.Report;
import dev.refusal4j.report.SyntheticRun;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The playground's routes over HTTP: its three files come from the jar with their content types,
 * an ETag, and caching that fits how each is named; a run's heatmaps are the bytes the report
 * wrote, behind the API key like the API; nothing else of the disk can be reached.
 */
class PlaygroundTest {
    @TempDir
    static Path tmp;
    static Path modelDir, run;
    static Transformer model;
    static ChatServer server, keyed;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @BeforeAll
    static void start() throws Exception {
        modelDir = TinyChatModel.create(tmp.resolve("tiny"));
        model = Transformer.load(modelDir);
        run = tmp.resolve("run");
        SyntheticRun.write(run, 3);
        Report.write(run); // plots/heatmap_{bypass,induce,kl}.svg, as refusal4j run leaves them
        float[] v = new float[64];
        v[5] = 1;
        RefusalDirection d = new RefusalDirection(v, 1, -1, Map.of());
        server = ChatServer.start(modelDir, model, d, Steering.Mode.ADD, 2f, null,
                new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMinutes(1)), Playground.Run.read(run), QUIET);
        keyed = ChatServer.start(modelDir, model, null, null, null, null,
                new ChatServer.Options("127.0.0.1", 0, 2, "s3cret", Duration.ofMinutes(1)), Playground.Run.read(run), QUIET);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (keyed != null) keyed.close();
        if (model != null) model.close();
    }

    @Test
    void thePageNamesItsFilesByTheirHashAndThoseAreCachedForGood() throws Exception {
        HttpResponse<String> page = get(server, "/", Map.of());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'self'");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.body()).isEqualTo(new String(jar("index.html"), StandardCharsets.UTF_8)
                .replace("\"/playground.css\"", "\"/playground.css?v=" + sha256(jar("playground.css")) + "\"")
                .replace("\"/playground.js\"", "\"/playground.js?v=" + sha256(jar("playground.js")) + "\""));
        for (String[] f : new String[][] {{"playground.css", "text/css; charset=utf-8"}, {"playground.js", "text/javascript; charset=utf-8"}}) {
            Matcher m = Pattern.compile("\"(/" + Pattern.quote(f[0]) + "\\?v=([0-9a-f]{16}))\"").matcher(page.body());
            assertThat(m.find()).as(f[0] + " named in the page").isTrue();
            HttpResponse<String> r = get(server, m.group(1), Map.of());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue(f[1]);
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
            assertThat(r.body().getBytes(StandardCharsets.UTF_8)).isEqualTo(jar(f[0]));
            assertThat(r.headers().firstValue("ETag")).hasValue("\"" + m.group(2) + "\"");
            // under another name (an old page's, or none) the file is revalidated
            assertThat(get(server, "/" + f[0], Map.of()).headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(get(server, "/" + f[0] + "?v=0123456789abcdef", Map.of()).headers().firstValue("Cache-Control")).hasValue("no-cache");
        }
        String etag = page.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = get(server, "/", Map.of("If-None-Match", etag));
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(get(server, "/", Map.of("If-None-Match", "W/" + etag + ", \"other\"")).statusCode()).isEqualTo(304);
        assertThat(get(server, "/", Map.of("If-None-Match", "\"other\"")).statusCode()).isEqualTo(200);
    }

    @Test
    void thePageLoadsNothingFromElsewhere() throws Exception {
        for (String f : List.of("index.html", "playground.css", "playground.js")) {
            assertThat(new String(jar(f), StandardCharsets.UTF_8)).as(f).doesNotContain("http://", "https://", "//cdn", "@import");
        }
    }

    @Test
    void theRunsHeatmapsAreTheReportsFilesBehindTheKey() throws Exception {
        for (String s : Playground.Run.SCORES) {
            HttpResponse<byte[]> r = getBytes(server, "/run/heatmap/" + s + ".svg", Map.of());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("image/svg+xml");
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
            assertThat(r.headers().firstValue("Content-Security-Policy").orElseThrow()).startsWith("default-src 'none'");
            assertThat(r.body()).isEqualTo(Files.readAllBytes(run.resolve("plots").resolve("heatmap_" + s + ".svg")));
        }
        assertThat(getBytes(keyed, "/run/heatmap/kl.svg", Map.of()).statusCode()).isEqualTo(401);
        assertThat(getBytes(keyed, "/run/heatmap/kl.svg", Map.of("Authorization", "Bearer s3cret")).body())
                .isEqualTo(Files.readAllBytes(run.resolve("plots/heatmap_kl.svg")));
        // the page and what it needs to ask for the key are open
        assertThat(get(keyed, "/", Map.of()).statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(get(keyed, "/playground/info", Map.of()).body()).get("auth").asBoolean()).isTrue();
    }

    @Test
    void noRequestReachesAFile() throws Exception {
        Files.writeString(run.resolve("plots/secret.svg"), "<svg/>");
        for (String path : List.of("/run/heatmap/secret.svg", "/run/heatmap/refusal_rate.svg", "/run/heatmap/heatmap_kl.svg",
                "/run/heatmap/%2E%2E%2Fplots%2Fheatmap_kl.svg", "/run/heatmap/..%2F..%2Fcandidates.json", "/run/candidates.json",
                "/playground/index.html", "/index.html", "/playground/playground.js", "/playground.js/", "/PLAYGROUND.JS")) {
            HttpResponse<String> r = get(server, path, Map.of());
            assertThat(r.statusCode()).as(path).isEqualTo(404);
            assertThat(Json.MAPPER.readTree(r.body()).get("error").get("code").asText()).as(path).isEqualTo("unknown_url");
        }
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(405);
    }

    @Test
    void infoTellsThePageTheModelTheDirectionTheServersSteeringAndTheRun() throws Exception {
        HttpResponse<String> r = get(server, "/playground/info", Map.of());
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode i = Json.MAPPER.readTree(r.body());
        assertThat(i.get("model").asText()).isEqualTo("tiny");
        assertThat(i.get("layers").asInt()).isEqualTo(3);
        assertThat(i.get("direction").get("layer").asInt()).isEqualTo(1);
        assertThat(i.get("direction").get("position").asInt()).isEqualTo(-1);
        assertThat(i.get("steering").get("mode").asText()).isEqualTo("add");
        assertThat(i.get("steering").get("coeff").asDouble()).isEqualTo(2.0);
        assertThat(i.get("steering").get("layers").asText()).isEqualTo("1-1");
        assertThat(i.get("steering").get("describe").asText()).isEqualTo(server.steering().describe());
        assertThat(i.get("auth").asBoolean()).isFalse();
        assertThat(i.get("run").get("name").asText()).isEqualTo("run");
        assertThat(i.get("run").get("heatmaps")).extracting(JsonNode::asText).containsExactly("bypass", "induce", "kl");
    }

    @Test
    void withoutARunThereAreNoHeatmapsAndThePageIsServedAllTheSame() throws Exception {
        try (ChatServer plain = ChatServer.start(modelDir, model, null, null, null, null,
                new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMinutes(1)), QUIET)) {
            assertThat(get(plain, "/", Map.of()).statusCode()).isEqualTo(200);
            JsonNode i = Json.MAPPER.readTree(get(plain, "/playground/info", Map.of()).body());
            assertThat(i.get("run").isNull()).isTrue();
            assertThat(i.get("direction").isNull()).isTrue();
            assertThat(i.get("steering").get("mode").asText()).isEqualTo("none");
            HttpResponse<String> r = get(plain, "/run/heatmap/bypass.svg", Map.of());
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(Json.MAPPER.readTree(r.body()).get("error").get("message").asText()).contains("serve --run DIR");
        }
    }

    @Test
    void serveRunChecksTheFolderBeforeListening() throws Exception {
        assertThat(serveError("--run", tmp.resolve("nowhere").toString())).contains("--run").contains("no such directory");
        Path empty = Files.createDirectories(tmp.resolve("empty-run"));
        assertThat(serveError("--run", empty.toString())).contains("holds neither direction.safetensors nor plots/heatmap_*.svg");
        // a run's direction is the default direction: one of the wrong width is refused as --direction would be
        Path other = Files.createDirectories(tmp.resolve("other-run"));
        new RefusalDirection(new float[32], 0, -1, Map.of()).write(other.resolve("direction.safetensors"));
        assertThat(serveError("--run", other.toString())).contains("direction.safetensors");
    }

    /** What {@code refusal4j serve} prints on standard error when it exits with status 1 before listening. */
    private static String serveError(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            String[] all = new String[args.length + 5];
            all[0] = "serve";
            all[1] = "--model";
            all[2] = modelDir.toString();
            all[3] = "--port";
            all[4] = "0";
            System.arraycopy(args, 0, all, 5, args.length);
            rc = Main.run(all);
        } finally {
            System.setErr(err);
        }
        assertThat(rc).isEqualTo(1);
        String s = buf.toString(StandardCharsets.UTF_8).strip();
        assertThat(s.lines().count()).as(s).isEqualTo(1);
        return s;
    }

    private static byte[] jar(String name) throws Exception {
        try (InputStream in = PlaygroundTest.class.getResourceAsStream("/playground/" + name)) {
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 16);
    }

    private static HttpResponse<String> get(ChatServer s, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<byte[]> getBytes(ChatServer s, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
