package dev.refusal4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Concurrent clients against an OpenAI-compatible server, as an application would load it: each
 * client sends its requests one after another, each a streamed {@code /v1/chat/completions} with
 * its own prompt, and every answer is recorded whole (text, tokens, finish reason, times) so that
 * the caller can check it as well as time it. The benchmark ({@code refusal4j serve-bench}) and
 * the load test share this client.
 */
public final class ServeBench {
    /** What one client sends: prompts, a token limit, and the request's "refusal4j" field (null: none). */
    public record Load(List<String> prompts, int clients, int requestsPerClient, int maxTokens, Map<String, Object> refusal4j, Duration timeout) {
        public Load {
            if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
            if (clients < 1) throw new IllegalArgumentException("--clients must be >= 1, got " + clients);
            if (requestsPerClient < 1) throw new IllegalArgumentException("--requests must be >= 1, got " + requestsPerClient);
        }

        /** Request {@code k} of client {@code c} asks prompt {@code (c · requestsPerClient + k) mod |prompts|}: distinct while there are enough. */
        public String prompt(int client, int k) {
            return prompts.get((client * requestsPerClient + k) % prompts.size());
        }
    }

    /**
     * One answer. Times are {@link System#nanoTime()}: sent, first content (or the end, for an
     * empty answer), end of the stream. {@code done}: the stream ended with {@code data: [DONE]}.
     */
    public record Answer(int client, int request, String prompt, String id, String text, String finish, int tokens,
                         long sent, long first, long end, boolean done) {
        public double seconds() {
            return (end - sent) / 1e9;
        }
    }

    /**
     * A round's totals: completion tokens per second of wall time, latency percentiles and the
     * median time to the first token in seconds, and the median stream's decode rate (tokens after
     * the first per second after it: what one client sees once its answer has begun).
     */
    public record Summary(int clients, int requests, long tokens, double seconds, double tokensPerSecond,
                          double p50, double p90, double p99, double firstP50, double decodeP50) {
        public static Summary of(int clients, List<Answer> answers, double seconds) {
            double[] latency = answers.stream().mapToDouble(Answer::seconds).sorted().toArray();
            double[] first = answers.stream().mapToDouble(a -> (a.first - a.sent) / 1e9).sorted().toArray();
            double[] decode = answers.stream().filter(a -> a.tokens > 1 && a.end > a.first)
                    .mapToDouble(a -> (a.tokens - 1) / ((a.end - a.first) / 1e9)).sorted().toArray();
            long tokens = answers.stream().mapToLong(Answer::tokens).sum();
            return new Summary(clients, answers.size(), tokens, seconds, tokens / seconds,
                    percentile(latency, 50), percentile(latency, 90), percentile(latency, 99), percentile(first, 50), percentile(decode, 50));
        }

        /** One line, the columns of {@link #HEADER}. */
        public String line() {
            return String.format("%7d %8d %7d %8.2f %9.1f %8.2f %8.2f %8.2f %14.2f %16.1f", clients, requests, tokens, seconds, tokensPerSecond,
                    p50, p90, p99, firstP50, decodeP50);
        }

        public static final String HEADER = "clients requests  tokens  seconds  tokens/s  p50 (s)  p90 (s)  p99 (s)  first p50 (s)  stream decode/s";
    }

    /** Nearest-rank percentile of sorted values (NaN when there are none). */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)];
    }

    private final URI base;
    private final String apiKey;

    /** @param base the server's address, e.g. http://127.0.0.1:8080; {@code apiKey} null: none */
    public ServeBench(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    /**
     * Runs every client at once and returns the answers in (client, request) order.
     *
     * @throws IOException when a request fails or is answered with an error (the first such)
     */
    public List<Answer> run(Load load) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Answer>>> running = new ArrayList<>();
            for (int c = 0; c < load.clients(); c++) {
                int client = c;
                running.add(clients.submit(() -> {
                    List<Answer> mine = new ArrayList<>();
                    for (int k = 0; k < load.requestsPerClient(); k++) mine.add(ask(http, load, client, k));
                    return mine;
                }));
            }
            List<Answer> all = new ArrayList<>();
            for (Future<List<Answer>> f : running) {
                try {
                    all.addAll(f.get());
                } catch (ExecutionException e) {
                    clients.shutdownNow();
                    if (e.getCause() instanceof IOException io) throw io;
                    throw new IOException(e.getCause().getMessage(), e.getCause());
                }
            }
            return all;
        }
    }

    private Answer ask(HttpClient http, Load load, int client, int k) throws IOException, InterruptedException {
        String prompt = load.prompt(client, k);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("messages", List.of(Map.of("role", "user", "content", prompt)));
        body.put("max_tokens", load.maxTokens());
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        if (load.refusal4j() != null) body.put("refusal4j", load.refusal4j());
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve("/v1/chat/completions")).timeout(load.timeout())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(Json.LINE.writeValueAsBytes(body)));
        if (apiKey != null) req.header("Authorization", "Bearer " + apiKey);
        long sent = System.nanoTime();
        HttpResponse<java.io.InputStream> r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            if (r.statusCode() != 200) {
                String text = in.lines().reduce("", String::concat);
                throw new IOException("client " + client + ", request " + k + ": HTTP " + r.statusCode() + " " + text);
            }
            StringBuilder text = new StringBuilder();
            String id = null, finish = null;
            int tokens = -1;
            long first = 0;
            boolean done = false;
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.startsWith("data: ")) continue;
                String data = line.substring("data: ".length());
                if (data.equals("[DONE]")) {
                    done = true;
                    break;
                }
                JsonNode chunk = Json.MAPPER.readTree(data);
                if (chunk.has("error")) throw new IOException("client " + client + ", request " + k + ": " + chunk.get("error").path("message").asText());
                id = chunk.path("id").asText(id);
                if (chunk.hasNonNull("usage")) tokens = chunk.get("usage").path("completion_tokens").asInt();
                JsonNode choice = chunk.path("choices").path(0);
                String piece = choice.path("delta").path("content").asText("");
                if (!piece.isEmpty() && first == 0) first = System.nanoTime();
                text.append(piece);
                if (choice.hasNonNull("finish_reason")) finish = choice.get("finish_reason").asText();
            }
            long end = System.nanoTime();
            return new Answer(client, k, prompt, id, text.toString(), finish, tokens, sent, first == 0 ? end : first, end, done);
        }
    }
}
