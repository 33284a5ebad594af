package dev.refusal4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.cli.Main;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code serve} on loopback with a real HTTP client: answers equal {@code generate}'s for the same
 * prompt and steering, streamed or not, and every bad request is a 4xx in OpenAI's error shape.
 */
class ChatServerTest {
    @TempDir
    static Path tmp;
    static Path modelDir, direction;
    static Transformer model;
    static ChatServer server;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static final String PROMPT = "How do I bake bread?";

    @BeforeAll
    static void start() throws Exception {
        modelDir = TinyChatModel.create(tmp.resolve("tiny")); // 3 layers, hidden 64, context 2048
        float[] v = new float[64];
        for (int i = 0; i < v.length; i++) v[i] = (i % 5) - 2f;
        direction = tmp.resolve("direction.safetensors");
        new RefusalDirection(v, 1, -1, Map.of()).write(direction);
        model = Transformer.load(modelDir);
        server = ChatServer.start(modelDir, model, RefusalDirection.read(direction), Steering.Mode.NONE, null, null,
                new ChatServer.Options("127.0.0.1", 0, 0, null, Duration.ofMinutes(2)), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (model != null) model.close();
    }

    @Test
    void aPlainRequestGetsGeneratesGreedyAnswer() throws Exception {
        String expected = generate("--max-new-tokens", "24");
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\": \"tiny\", \"max_tokens\": 24, \"messages\": [{\"role\": \"user\", \"content\": "
                + quote(PROMPT) + "}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode b = Json.MAPPER.readTree(r.body());
        assertThat(b.get("object").asText()).isEqualTo("chat.completion");
        assertThat(b.get("model").asText()).isEqualTo("tiny");
        JsonNode choice = b.get("choices").get(0);
        assertThat(choice.get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").asText()).isEqualTo(expected);
        int completion = b.get("usage").get("completion_tokens").asInt();
        assertThat(completion).isBetween(1, 24);
        assertThat(choice.get("finish_reason").asText()).isEqualTo(completion == 24 ? "length" : "stop");
        // the ChatML prompt: "<|im_start|>" (1 token) "user\n" (5 bytes) + the prompt's bytes + "<|im_end|>" (1) "\n" (1), then the generation prompt
        int expectedPrompt = 1 + 5 + PROMPT.length() + 1 + 1 + 1 + "assistant\n".length();
        assertThat(b.get("usage").get("prompt_tokens").asInt()).isEqualTo(expectedPrompt);
        assertThat(b.get("usage").get("total_tokens").asInt()).isEqualTo(expectedPrompt + completion);
    }

    @Test
    void stopSeedTemperatureAndTopPAreGeneratesOptions() throws Exception {
        String sampled = generate("--max-new-tokens", "24", "--temperature", "0.8", "--top-p", "0.9", "--seed", "7");
        assertThat(answer("\"temperature\": 0.8, \"top_p\": 0.9, \"seed\": 7")).isEqualTo(sampled);
        String base = generate("--max-new-tokens", "24");
        assertThat(base.length()).isGreaterThan(8);
        // the tiny model writes stray bytes, decoded as U+FFFD only at the end: stop at a real character
        int at = 2;
        while (at < base.length() && (base.charAt(at) == '\uFFFD' || Character.isSurrogate(base.charAt(at)))) at++;
        assertThat(at).isLessThan(base.length());
        String stop = base.substring(at, at + 1);
        assertThat(answer("\"stop\": [" + quote(stop) + ", \"never\"]")).isEqualTo(base.substring(0, base.indexOf(stop)))
                .isEqualTo(generate("--max-new-tokens", "24", "--stop", stop, "--stop", "never"));
    }

    /** What a streamed answer carried: its text, its finish reason and its usage chunk. */
    record Streamed(StringBuilder text, String finish, JsonNode usage) {}

    /**
     * Reads a server-sent-event stream: every block a {@code data: } line, the last {@code [DONE]},
     * every chunk of the given object type; the text comes from a chat chunk's delta or a text chunk's text.
     */
    static Streamed streamed(HttpResponse<String> r, String object) throws Exception {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> events = new ArrayList<>();
        for (String block : r.body().split("\n\n")) {
            assertThat(block).startsWith("data: ");
            events.add(block.substring("data: ".length()));
        }
        assertThat(events.getLast()).isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String e : events.subList(0, events.size() - 1)) {
            JsonNode c = Json.MAPPER.readTree(e);
            assertThat(c.get("object").asText()).isEqualTo(object);
            if (c.get("usage") != null) usage = c.get("usage");
            if (c.get("choices").isEmpty()) continue;
            JsonNode ch = c.get("choices").get(0);
            JsonNode piece = ch.has("delta") ? ch.get("delta").get("content") : ch.get("text");
            if (piece != null) text.append(piece.asText());
            if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
        }
        return new Streamed(text, finish, usage);
    }

    @Test
    void aStreamedAnswerIsTheSameTextEndingWithDone() throws Exception {
        String expected = generate("--max-new-tokens", "24");
        HttpResponse<String> r = post("/v1/chat/completions", "{\"stream\": true, \"stream_options\": {\"include_usage\": true}, \"max_tokens\": 24,"
                + " \"messages\": [{\"role\": \"user\", \"content\": " + quote(PROMPT) + "}]}");
        Streamed st = streamed(r, "chat.completion.chunk");
        StringBuilder text = st.text();
        String finish = st.finish();
        JsonNode usage = st.usage();
        assertThat(text.toString()).isEqualTo(expected);
        assertThat(usage).isNotNull();
        assertThat(finish).isEqualTo(usage.get("completion_tokens").asInt() == 24 ? "length" : "stop");
    }

    /** The ChatML rendering of PROMPT as a user turn with the generation prompt: what the chat endpoint feeds the model. */
    static final String RENDERED = "<|im_start|>user\n" + PROMPT + "<|im_end|>\n<|im_start|>assistant\n";

    @Test
    void aTextCompletionOfTheRenderedTemplateIsTheChatAnswer() throws Exception {
        String expected = generate("--max-new-tokens", "24");
        HttpResponse<String> r = post("/v1/completions", "{\"model\": \"tiny\", \"max_tokens\": 24, \"prompt\": " + quote(RENDERED) + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode b = Json.MAPPER.readTree(r.body());
        assertThat(b.get("object").asText()).isEqualTo("text_completion");
        assertThat(b.get("id").asText()).startsWith("cmpl-");
        JsonNode choice = b.get("choices").get(0);
        assertThat(choice.get("text").asText()).isEqualTo(expected);
        assertThat(choice.get("index").asInt()).isZero();
        int completion = b.get("usage").get("completion_tokens").asInt();
        assertThat(choice.get("finish_reason").asText()).isEqualTo(completion == 24 ? "length" : "stop");
        int expectedPrompt = 1 + 5 + PROMPT.length() + 1 + 1 + 1 + "assistant\n".length();
        assertThat(b.get("usage").get("prompt_tokens").asInt()).isEqualTo(expectedPrompt);
        assertThat(b.get("usage").get("total_tokens").asInt()).isEqualTo(expectedPrompt + completion);
        // a list of one prompt is the same request; steering is the chat endpoint's field
        assertThat(completion("\"prompt\": [" + quote(RENDERED) + "]")).isEqualTo(expected);
        String ablated = generate("--max-new-tokens", "24", "--direction", direction.toString(), "--ablate");
        assertThat(completion("\"prompt\": " + quote(RENDERED) + ", \"refusal4j\": {\"steering\": \"ablate\"}")).isEqualTo(ablated);
        String sampled = generate("--max-new-tokens", "24", "--temperature", "0.8", "--top-p", "0.9", "--seed", "7");
        assertThat(completion("\"prompt\": " + quote(RENDERED) + ", \"temperature\": 0.8, \"top_p\": 0.9, \"seed\": 7")).isEqualTo(sampled);
    }

    @Test
    void aRawPromptIsContinuedWithoutTheTemplateStreamedOrNot() throws Exception {
        String raw = "Once upon a time";
        String whole = completion("\"prompt\": " + quote(raw));
        assertThat(whole).as("no template: not the chat answer").isNotEqualTo(completion("\"prompt\": " + quote(RENDERED)));
        HttpResponse<String> r = post("/v1/completions", "{\"stream\": true, \"stream_options\": {\"include_usage\": true}, \"max_tokens\": 24,"
                + " \"prompt\": " + quote(raw) + "}");
        Streamed st = streamed(r, "text_completion");
        StringBuilder text = st.text();
        String finish = st.finish();
        JsonNode usage = st.usage();
        assertThat(text.toString()).isEqualTo(whole);
        assertThat(usage).isNotNull();
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(raw.length()); // the tiny model's tokens are bytes, and it has no BOS
        assertThat(finish).isEqualTo(usage.get("completion_tokens").asInt() == 24 ? "length" : "stop");
        // a stop string cuts the text as the chat endpoint's does
        int at = 2;
        while (at < whole.length() && (whole.charAt(at) == '\uFFFD' || Character.isSurrogate(whole.charAt(at)))) at++;
        assertThat(at).isLessThan(whole.length());
        String stop = whole.substring(at, at + 1);
        assertThat(completion("\"prompt\": " + quote(raw) + ", \"stop\": " + quote(stop))).isEqualTo(whole.substring(0, whole.indexOf(stop)));
    }

    @Test
    void badTextCompletionsAreOpenAiErrorsNamingTheField() throws Exception {
        assertError(post("/v1/completions", "{}"), 400, "prompt", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": 3}"), 400, "prompt", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": [\"a\", \"b\"]}"), 400, "prompt", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": [[1, 2]]}"), 400, "prompt", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"\"}"), 400, "prompt", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"hi\", \"n\": 2}"), 400, "n", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"hi\", \"best_of\": 3}"), 400, "best_of", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"hi\", \"echo\": true}"), 400, "echo", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"hi\", \"suffix\": \"end\"}"), 400, "suffix", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"hi\", \"logprobs\": 5}"), 400, "logprobs", "invalid_value");
        assertError(post("/v1/completions", "{\"prompt\": \"hi\", \"model\": \"gpt-3.5-turbo-instruct\"}"), 404, "model", "model_not_found");
        assertError(post("/v1/completions", "{\"prompt\": \"" + "x".repeat(2100) + "\"}"), 400, "prompt", "context_length_exceeded");
        assertError(get("/v1/completions"), 405, null, "method_not_allowed");
        assertThat(completion("\"prompt\": \"hi\", \"logprobs\": 0, \"echo\": false, \"best_of\": 1")).isNotNull();
    }

    @Test
    void aRequestsSteeringGivesGeneratesSteeredAnswer() throws Exception {
        String base = generate("--max-new-tokens", "24");
        String ablated = generate("--max-new-tokens", "24", "--direction", direction.toString(), "--ablate");
        String added = generate("--max-new-tokens", "24", "--direction", direction.toString(), "--add", "-1.5");
        assertThat(List.of(ablated, added)).as("the direction changes the answers").doesNotContain(base);
        assertThat(answer("\"refusal4j\": {\"steering\": \"ablate\"}")).isEqualTo(ablated);
        assertThat(answer("\"refusal4j\": {\"steering\": \"subtract\", \"coeff\": 1.5}")).isEqualTo(added);
        assertThat(answer("\"refusal4j\": {\"steering\": \"add\", \"coeff\": -1.5, \"layers\": \"1\"}")).isEqualTo(added);
        assertThat(answer("\"refusal4j\": {\"steering\": \"none\"}")).isEqualTo(base);
        assertThat(answer("\"seed\": 0")).isEqualTo(base); // the server's own steering: none
    }

    @Test
    void badRequestsAreOpenAiErrorsNamingTheField() throws Exception {
        String msg = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
        assertError(post("/v1/chat/completions", "{\"messages\": [ oops"), 400, null, "invalid_json");
        assertError(post("/v1/chat/completions", "[1, 2]"), 400, null, "invalid_value");
        assertError(post("/v1/chat/completions", "{\"model\": \"gpt-4o\", " + msg + "}"), 404, "model", "model_not_found");
        assertError(post("/v1/chat/completions", "{\"n\": 2, " + msg + "}"), 400, "n", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"temperature\": \"hot\", " + msg + "}"), 400, "temperature", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"max_tokens\": 2.5, " + msg + "}"), 400, "max_tokens", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"stop\": 7, " + msg + "}"), 400, "stop", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"stream\": \"yes\", " + msg + "}"), 400, "stream", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"top_p\": 0, " + msg + "}"), 400, "top_p", "invalid_value");
        assertError(post("/v1/chat/completions", "{}"), 400, "messages", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": 3}]}"), 400, "messages[0].content", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}"), 400, "messages[0].role", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"refusal4j\": {\"steering\": \"sideways\"}, " + msg + "}"), 400, "refusal4j.steering", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"refusal4j\": {\"steering\": \"add\", \"coeff\": \"big\"}, " + msg + "}"), 400, "refusal4j.coeff", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"refusal4j\": {\"steering\": \"add\", \"layers\": \"2-9\"}, " + msg + "}"), 400, "refusal4j.layers", "invalid_value");
        assertError(post("/v1/chat/completions", "{\"refusal4j\": {\"steering\": \"ablate\", \"coeff\": 2}, " + msg + "}"), 400, "refusal4j.coeff", "invalid_value");
        String tooLong = "x".repeat(2100);
        HttpResponse<String> r = post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + tooLong + "\"}]}");
        assertError(r, 400, "messages", "context_length_exceeded");
        assertThat(Json.MAPPER.readTree(r.body()).get("error").get("message").asText()).contains("2048");
        assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(ChatServer.MAX_BODY) + "\"}]}"),
                413, null, "request_too_large");
        assertError(get("/v1/nothing"), 404, null, "unknown_url");
        assertError(get("/v1/chat/completions"), 405, null, "method_not_allowed");
    }

    @Test
    void aFullQueueIsAnswered429() throws Exception {
        int taken = server.slots().drainPermits(); // as if that many requests were running or waiting
        try {
            assertThat(taken).isEqualTo(1); // --queue 0: the running request only
            assertError(post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"), 429, null, "queue_full");
        } finally {
            server.slots().release(taken);
        }
        assertThat(answer("\"seed\": 0")).as("a freed place is taken again").isNotNull();
    }

    @Test
    void aRequestNotAnsweredInTimeIsCancelledWith504() throws Exception {
        ChatServer own = ChatServer.start(modelDir, model, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMillis(200)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.Future<?> busy = own.worker().submit(() -> {
                release.await(); // the model is busy past the request's timeout
                return null;
            });
            var answer = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(600);
            release.countDown();
            busy.get();
            assertError(answer.get(60, java.util.concurrent.TimeUnit.SECONDS), 504, null, "timeout");
            assertThat(own.slots().availablePermits()).as("its place is free again").isEqualTo(3);
        } finally {
            own.close();
        }
    }

    @Test
    void closeWithNoGracePeriodCancelsTheAnswerBeingStreamed() throws Exception {
        Path endless = endless("endless-grace");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Transformer m = Transformer.load(endless)) {
            ChatServer own = ChatServer.start(endless, m, null, null, null, null,
                    new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofSeconds(600), 1, Duration.ZERO), new PrintStream(log, true, StandardCharsets.UTF_8));
            HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"stream\": true, \"max_tokens\": 1900, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofLines());
            var lines = r.body().filter(l -> l.startsWith("data: ")).iterator();
            assertThat(lines.next()).as("the stream has begun").contains("\"role\":\"assistant\"");
            own.close();
            catchThrowable(() -> lines.forEachRemaining(l -> { }));   // the connection may end mid-stream
            // the request's handler writes its log line after close has returned
            for (long end = System.nanoTime() + 60_000_000_000L; log.size() == 0 && System.nanoTime() < end; ) Thread.sleep(10);
            // the connection is closed at once, so the answer ends as a client's that went away does
            assertThat(log.toString(StandardCharsets.UTF_8)).as("the answer did not run to its 1900 tokens")
                    .containsPattern("cancelled \\(server stopping\\)|client gone").doesNotContain("1900 tokens");
        }
    }

    @Test
    void aStreamThatOutlastsTheTimeoutEndsWithATimeoutEvent() throws Exception {
        Path endless = endless("endless-timeout");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Transformer m = Transformer.load(endless);
             ChatServer own = ChatServer.start(endless, m, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMillis(300)),
                     new PrintStream(log, true, StandardCharsets.UTF_8))) {
            // 1900 tokens take the tiny model seconds: the timeout comes while it generates
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"stream\": true, \"max_tokens\": 1900, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            String[] events = r.body().split("\n\n");
            assertThat(events[0]).as("the stream had begun (its 200 and the role went out) when the timeout came").contains("\"role\":\"assistant\"");
            assertThat(events[events.length - 1]).as("no [DONE]: the answer is not whole").startsWith("data: {\"error\"");
            JsonNode e = Json.MAPPER.readTree(events[events.length - 1].substring("data: ".length())).get("error");
            assertThat(e.get("code").asText()).isEqualTo("timeout");
            assertThat(e.get("message").asText()).contains("timeout");
            assertThat(own.slots().availablePermits()).as("its place is free again").isEqualTo(3);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("POST /v1/chat/completions 504");
        }
    }

    /** The tiny model with an end id it never writes, in its own folder: its answers run to max_tokens. */
    static Path endless(String name) throws java.io.IOException {
        Path m = TinyChatModel.create(tmp.resolve(name));
        java.nio.file.Files.writeString(m.resolve("generation_config.json"), "{\"eos_token_id\": [319]}");
        return m;
    }

    /** A POST on a connection of its own, which the caller reads from and closes (a pooled HTTP client could keep it open). */
    static java.net.Socket rawPost(int port, String path, String body) throws java.io.IOException {
        java.net.Socket s = new java.net.Socket("127.0.0.1", port);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + b.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        s.setSoTimeout(60_000);
        return s;
    }

    @Test
    void aStreamingClientThatGoesAwayEndsItsGeneration() throws Exception {
        Path endless = endless("endless");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Transformer m = Transformer.load(endless);
             ChatServer own = ChatServer.start(endless, m, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMinutes(2)),
                     new PrintStream(log, true, StandardCharsets.UTF_8))) {
            String body = "{\"stream\": true, \"max_tokens\": 2000, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
            try (java.net.Socket sock = rawPost(own.port(), "/v1/chat/completions", body)) {
                String head = new String(sock.getInputStream().readNBytes(200), StandardCharsets.UTF_8);
                assertThat(head).as("the stream has begun").contains("data: ");
            }
            for (int i = 0; i < 600 && !log.toString(StandardCharsets.UTF_8).contains("POST"); i++) Thread.sleep(50);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("POST /v1/chat/completions client gone");
        }
    }

    @Test
    void aStreamingClientThatStopsReadingDoesNotStallTheOthers() throws Exception {
        Path endless = endless("endless-stalled");
        // a longer context than the golden weights' 2048 (rotary positions need no weights): enough events to fill any socket buffer
        java.nio.file.Path cfg = endless.resolve("config.json");
        java.nio.file.Files.writeString(cfg, java.nio.file.Files.readString(cfg).replaceAll("\"max_position_embeddings\": *\\d+", "\"max_position_embeddings\": 65536"));
        try (Transformer m = Transformer.load(endless);
             ChatServer own = ChatServer.start(endless, m, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 4, null, Duration.ofMinutes(2), 4),
                     new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
             java.net.Socket stalled = new java.net.Socket()) {
            // a client with a tiny receive window that reads nothing: once its socket's buffers are full, a write to it waits
            stalled.setReceiveBufferSize(1024);
            stalled.connect(new java.net.InetSocketAddress("127.0.0.1", own.port()));
            byte[] b = "{\"stream\": true, \"max_tokens\": 60000, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}".getBytes(StandardCharsets.UTF_8);
            stalled.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                    + b.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            stalled.getOutputStream().write(b);
            stalled.getOutputStream().flush();
            Thread.sleep(3000); // its generation runs on until the buffers are full
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/v1/completions"))
                    .timeout(Duration.ofSeconds(60))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"max_tokens\": 5, \"prompt\": \"hi\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(Json.MAPPER.readTree(r.body()).get("usage").get("completion_tokens").asInt()).isEqualTo(5);
        }
    }

    @Test
    void aClientThatGoesAwayBeforeAWholeAnswerEndsItsGeneration() throws Exception {
        Path endless = endless("endless-whole");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Transformer m = Transformer.load(endless);
             ChatServer own = ChatServer.start(endless, m, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMinutes(2)),
                     new PrintStream(log, true, StandardCharsets.UTF_8))) {
            own.heartbeat(Duration.ofMillis(50));
            String body = "{\"max_tokens\": 2000, \"prompt\": \"hi\"}";
            try (java.net.Socket s = rawPost(own.port(), "/v1/completions", body)) {
                assertThat(s.getInputStream().read()).as("the heartbeat's status line has begun").isEqualTo('H');
            } // the client closes its connection without reading the answer
            for (int i = 0; i < 600 && !log.toString(StandardCharsets.UTF_8).contains("POST"); i++) Thread.sleep(50);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("POST /v1/completions client gone");
            assertThat(own.slots().availablePermits()).as("its place is free again").isEqualTo(3);
            // for a client that stays, the heartbeat's leading spaces and the answer are one JSON value
            own.heartbeat(Duration.ofMillis(1));
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"max_tokens\": 300, \"prompt\": \"hi\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).startsWith(" ");
            assertThat(Json.MAPPER.readTree(r.body()).get("usage").get("completion_tokens").asInt()).isEqualTo(300);
        }
    }

    @Test
    void concurrentRequestsAreDecodedTogetherAndGetTheirOneAtATimeAnswers() throws Exception {
        // the tiny model with an end id it never writes: the first request's 1500 tokens outlast the later requests' arrival
        Path endless = endless("endless-batch");
        try (Transformer m = Transformer.load(endless);
             ChatServer own = ChatServer.start(endless, m, RefusalDirection.read(direction), Steering.Mode.NONE, null, null,
                     new ChatServer.Options("127.0.0.1", 0, 8, null, Duration.ofMinutes(2), 4), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newHttpClient()) { // its own connections: the shared client's pool stays as the other tests expect
            // different prompts, lengths, limits, samplers, steering (two groups) and both endpoints
            List<String[]> requests = new ArrayList<>();
            // the last, a text completion of one token (no BOS here): a newcomer with nothing to prefill
            String[] words = {"How do I bake bread?", "hi", "Write a poem about the sea and the sky.", "Why?", "List three colours.", "Tell me a story", "ok", "What is 2+2?", "x"};
            for (int i = 0; i < words.length; i++) {
                String fields = "\"max_tokens\": " + (i == 0 ? 1500 : 12 + 23 * i % 60);
                if (i % 3 == 1) fields += ", \"refusal4j\": {\"steering\": \"ablate\"}";
                if (i == 5) fields += ", \"temperature\": 0.9, \"seed\": 3";
                if (i == 6) fields += ", \"stream\": true";
                boolean chat = i % 4 != 3 && i != 8;
                requests.add(new String[] {chat ? "/v1/chat/completions" : "/v1/completions", "{" + fields + ", "
                        + (chat ? "\"messages\": [{\"role\": \"user\", \"content\": " + quote(words[i]) + "}]" : "\"prompt\": " + quote(words[i])) + "}"});
            }
            URI base = URI.create("http://127.0.0.1:" + own.port());
            List<String> sequential = new ArrayList<>();
            for (String[] r : requests) sequential.add(text(client.send(request(base, r), HttpResponse.BodyHandlers.ofString())));
            assertThat(Json.MAPPER.readTree(client.send(request(base, requests.get(8)), HttpResponse.BodyHandlers.ofString()).body())
                    .get("usage").get("prompt_tokens").asInt()).as("a one-token prompt").isEqualTo(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.Future<?> busy = own.worker().submit(() -> {
                release.await(); // the first half waits, then starts as one batch; the second half joins it running
                return null;
            });
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) answers.add(client.sendAsync(request(base, requests.get(i)), HttpResponse.BodyHandlers.ofString()));
            for (int i = 0; i < 1000 && own.slots().availablePermits() > 12 - 4; i++) Thread.sleep(5);
            release.countDown();
            busy.get();
            for (int i = 4; i < requests.size(); i++) {
                Thread.sleep(3);
                answers.add(client.sendAsync(request(base, requests.get(i)), HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < requests.size(); i++) {
                HttpResponse<String> r = answers.get(i).get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(text(r)).as("request %d, %s", i, requests.get(i)[1]).isEqualTo(sequential.get(i));
            }
            assertThat(own.decoder().largestBatch()).as("requests were decoded together").isGreaterThan(1);
            assertThat(own.decoder().joinedRunning()).as("requests joined a batch already generating").isPositive();
            assertThat(own.slots().availablePermits()).isEqualTo(12);
        }
    }

    private static HttpRequest request(URI base, String[] pathAndBody) {
        return HttpRequest.newBuilder(base.resolve(pathAndBody[0])).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(pathAndBody[1])).build();
    }

    /** The answer's text and token count, from a whole answer or a stream of either endpoint. */
    private static String text(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        if (!r.body().startsWith("data: ")) {
            JsonNode c = Json.MAPPER.readTree(r.body()).get("choices").get(0);
            return (c.has("text") ? c.get("text") : c.get("message").get("content")).asText() + " / " + c.get("finish_reason").asText();
        }
        StringBuilder t = new StringBuilder();
        String finish = null;
        for (String block : r.body().split("\n\n")) {
            String e = block.substring("data: ".length());
            if (e.equals("[DONE]")) break;
            JsonNode c = Json.MAPPER.readTree(e).get("choices");
            if (c.isEmpty()) continue;
            JsonNode ch = c.get(0);
            t.append(ch.has("text") ? ch.get("text").asText() : ch.get("delta").path("content").asText());
            if (!ch.get("finish_reason").isNull()) finish = ch.get("finish_reason").asText();
        }
        return t + " / " + finish;
    }

    @Test
    void streamedTokensGoOutWithoutWaitingForTheClientsAcknowledgement() {
        // with Nagle's algorithm on, serve-bench's first token took 40 ms (a client's delayed ACK) on
        // a model that makes one in 1 ms; the JDK server turns it off only when this is set at its start
        assertThat(System.getProperty(ChatServer.NO_DELAY)).isEqualTo("true");
    }

    @Test
    void modelsAndHealth() throws Exception {
        HttpResponse<String> m = get("/v1/models");
        assertThat(m.statusCode()).isEqualTo(200);
        JsonNode list = Json.MAPPER.readTree(m.body());
        assertThat(list.get("object").asText()).isEqualTo("list");
        assertThat(list.get("data").get(0).get("id").asText()).isEqualTo("tiny");
        assertThat(list.get("data").get(0).get("object").asText()).isEqualTo("model");
        assertThat(get("/v1/models/tiny").statusCode()).isEqualTo(200);
        assertError(get("/v1/models/other"), 404, "model", "model_not_found");
        HttpResponse<String> h = get("/health");
        assertThat(h.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(h.body()).get("status").asText()).isEqualTo("ok");
    }

    @Test
    void anApiKeyIsRequiredWhenSetAndClosingStopsTheServer() throws Exception {
        ChatServer keyed = ChatServer.start(modelDir, model, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 4, "s3cret", Duration.ofMinutes(2)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        URI models = URI.create("http://127.0.0.1:" + keyed.port() + "/v1/models");
        try {
            assertError(HTTP.send(HttpRequest.newBuilder(models).build(), HttpResponse.BodyHandlers.ofString()), 401, null, "invalid_api_key");
            assertThat(HTTP.send(HttpRequest.newBuilder(models).header("Authorization", "Bearer s3cret").build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            // without a direction, a request cannot ask for steering
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + keyed.port() + "/v1/chat/completions"))
                    .header("Authorization", "Bearer s3cret").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"refusal4j\": {\"steering\": \"ablate\"}, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertError(r, 400, "refusal4j.steering", "invalid_value");
            assertThat(Json.MAPPER.readTree(r.body()).get("error").get("message").asText()).contains("--direction");
        } finally {
            long t0 = System.nanoTime();
            keyed.close();
            assertThat((System.nanoTime() - t0) / 1e9).as("an idle server stops at once").isLessThan(5);
        }
        keyed.awaitClosed();
        assertThat(catchThrowable(() -> HTTP.send(HttpRequest.newBuilder(models).build(),
                HttpResponse.BodyHandlers.ofString()))).isInstanceOf(java.io.IOException.class);
    }

    @Test
    void closingLetsAWaitingAnswerFinish() throws Exception {
        ChatServer own = ChatServer.start(modelDir, model, null, null, null, null, new ChatServer.Options("127.0.0.1", 0, 2, null, Duration.ofMinutes(2)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        URI health = URI.create("http://127.0.0.1:" + own.port() + "/health");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.Future<?> busy = own.worker().submit(() -> {
            release.await(); // the model is busy: the request below waits its turn
            return null;
        });
        var answer = HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + own.port() + "/v1/chat/completions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"stream\": true, \"max_tokens\": 30, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        while (own.slots().availablePermits() == 3) Thread.sleep(5); // the request is admitted
        Thread closer = Thread.ofPlatform().start(own::close);
        try (HttpClient fresh = HttpClient.newHttpClient()) {
            // until close has stopped accepting connections; a loaded machine may take seconds to run the closer
            for (long end = System.nanoTime() + 120_000_000_000L; System.nanoTime() < end; ) {
                try {
                    fresh.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                    Thread.sleep(5);
                } catch (java.io.IOException e) {
                    break;
                }
            }
            assertThat(catchThrowable(() -> fresh.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()))).as("no new connections once closing").isInstanceOf(java.io.IOException.class);
        }
        release.countDown();
        busy.get();
        HttpResponse<String> r = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
        closer.join();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).as("the waiting answer is given whole").endsWith("data: [DONE]\n\n");
    }

    @Test
    void aDirectionAloneMeansAblationAndSteeringIsChecked() throws Exception {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        ChatServer.Options o = new ChatServer.Options("127.0.0.1", 0, 1, null, Duration.ofMinutes(2));
        try (ChatServer s = ChatServer.start(modelDir, model, RefusalDirection.read(direction), null, null, null, o, quiet)) {
            assertThat(s.steering().describe()).isEqualTo("ablate r̂ at layers 0-2");
        }
        try (ChatServer s = ChatServer.start(modelDir, model, RefusalDirection.read(direction), Steering.Mode.SUBTRACT, 2f, "0-1", o, quiet)) {
            assertThat(s.steering().describe()).isEqualTo("subtract 2.0 × r at layers 0-1");
        }
        assertThat(catchThrowable(() -> ChatServer.start(modelDir, model, RefusalDirection.read(direction), Steering.Mode.ADD, null, "5", o, quiet)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--layers 5 is not a range within the model's layers 0-2");
    }

    @Test
    void serveChecksItsOptionsBeforeListening() {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.run("serve", "--model", modelDir.toString(), "--mode", "ablate", "--port", "0");
        } finally {
            System.setErr(err);
        }
        assertThat(rc).isEqualTo(1);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("--mode ablate needs a direction");
    }

    // the test client: requests, and the generate command whose answers the server must equal

    private static String answer(String extraFields) throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{" + extraFields + ", \"max_tokens\": 24, \"messages\": [{\"role\": \"user\", \"content\": "
                + quote(PROMPT) + "}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body()).get("choices").get(0).get("message").get("content").asText();
    }

    private static String completion(String fields) throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{" + fields + ", \"max_tokens\": 24}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return Json.MAPPER.readTree(r.body()).get("choices").get(0).get("text").asText();
    }

    /** What {@code refusal4j generate --prompt PROMPT} prints, without its last newline. */
    private static String generate(String... options) {
        List<String> args = new ArrayList<>(List.of("generate", "--model", modelDir.toString(), "--prompt", PROMPT));
        args.addAll(List.of(options));
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.run(args.toArray(String[]::new));
        } finally {
            System.setOut(saved);
        }
        assertThat(rc).isZero();
        String s = buf.toString(StandardCharsets.UTF_8);
        assertThat(s).endsWith("\n");
        return s.substring(0, s.length() - 1);
    }

    private static void assertError(HttpResponse<String> r, int status, String param, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode e = Json.MAPPER.readTree(r.body()).get("error");
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").asText()).isNotBlank().doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(e.get("type").asText()).isNotBlank();
        assertThat(e.get("param").isNull() ? null : e.get("param").asText()).isEqualTo(param);
        assertThat(e.get("code").asText()).isEqualTo(code);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static String quote(String s) throws Exception {
        return Json.LINE.writeValueAsString(s);
    }
}
