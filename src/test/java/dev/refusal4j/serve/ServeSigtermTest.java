package dev.refusal4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code refusal4j serve} in a process of its own, sent SIGTERM (as a service manager stops it)
 * while it streams an answer: the answer is finished whole, new connections are refused, and the
 * process exits. Without --host it listens on 127.0.0.1.
 */
class ServeSigtermTest {
    @TempDir
    Path tmp;

    /** Long enough that SIGTERM (sent when the stream's first event arrives) lands mid-answer. */
    private static final int TOKENS = 400;

    @Test
    void sigtermLetsARunningAnswerFinishThenExits() throws Exception {
        Path endless = TinyChatModel.create(tmp.resolve("endless"));
        Files.writeString(endless.resolve("generation_config.json"), "{\"eos_token_id\": [319]}"); // an end id it never writes
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.refusal4j.cli.Main", "serve", "--model", endless.toString(), "--port", "0",
                // a grace period no load on a test machine outlasts: what is checked is that the answer finishes, not how fast
                "--shutdown-grace", "600")
                .redirectError(tmp.resolve("stderr.txt").toFile()).start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String banner = out.readLine();
            Matcher m = Pattern.compile("at http://127\\.0\\.0\\.1:(\\d+)/v1").matcher(String.valueOf(banner));
            // no --host: loopback only
            assertThat(m.find()).as("serve's first line: " + banner + "; stderr: " + Files.readString(tmp.resolve("stderr.txt"))).isTrue();
            URI base = URI.create("http://127.0.0.1:" + m.group(1));
            HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"stream\": true, \"stream_options\": {\"include_usage\": true}, \"max_tokens\": " + TOKENS + ","
                            + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofLines());
            assertThat(r.statusCode()).isEqualTo(200);
            var lines = r.body().filter(l -> l.startsWith("data: ")).iterator();
            assertThat(lines.next()).as("the stream has begun").contains("\"role\":\"assistant\"");
            p.destroy(); // SIGTERM
            StringBuilder text = new StringBuilder();
            String finish = null, last = null;
            int tokens = -1;
            while (lines.hasNext()) {
                last = lines.next().substring("data: ".length());
                if (last.equals("[DONE]")) break;
                JsonNode c = Json.MAPPER.readTree(last);
                assertThat(c.has("error")).as(last).isFalse();
                if (c.hasNonNull("usage")) tokens = c.get("usage").get("completion_tokens").asInt();
                if (c.get("choices").isEmpty()) continue;
                text.append(c.get("choices").get(0).get("delta").path("content").asText(""));
                if (!c.get("choices").get(0).get("finish_reason").isNull()) finish = c.get("choices").get(0).get("finish_reason").asText();
            }
            assertThat(last).as("the stream ends as a whole one does").isEqualTo("[DONE]");
            assertThat(finish).isEqualTo("length");
            assertThat(tokens).as("every token asked for was generated").isEqualTo(TOKENS);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("serve exits after SIGTERM").isTrue();
            assertThat(p.exitValue()).as("the JVM's status after SIGTERM").isEqualTo(128 + 15);
            assertThat(catchThrowable(() -> http.send(HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()))).as("nobody listens any more").isInstanceOf(java.io.IOException.class);
            assertThat(Files.readString(tmp.resolve("stderr.txt"))).contains("POST /v1/chat/completions 200 " + TOKENS + " tokens, length");
        } finally {
            p.destroyForcibly();
        }
    }
}
