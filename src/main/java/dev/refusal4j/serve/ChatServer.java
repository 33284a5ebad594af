package dev.refusal4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.refusal4j.chat.ChatTemplateException;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * An OpenAI-compatible HTTP server for one model, steered by one direction: {@code POST
 * /v1/chat/completions} and {@code POST /v1/completions} (whole answers, or server-sent events ending
 * with {@code data: [DONE]}), {@code GET /v1/models}, {@code GET /health}, and a web playground at
 * {@code GET /} ({@link Playground}: one prompt answered by the model as it is and steered, side by
 * side, beside the run's heatmaps at {@code GET /run/heatmap/NAME.svg}). A text completion's
 * prompt is tokenized as it is, as the tokenizer's post-processor does (a BOS where the model has
 * one), without the chat template.
 *
 * <p>Concurrent requests are decoded together ({@link BatchDecoder}: continuous batching, one batch
 * per steering setting) on a single worker thread, each with {@code refusal4j generate}'s template
 * rendering, stop ids, sampler and hooks, so a request gets {@code generate}'s answer (greedy: the
 * same text whatever else is running). Up to {@code batch} requests run, {@code queue} more wait;
 * when both are full the server answers 429, and a request not answered within the timeout is
 * cancelled (504). A client that goes away ends its generation at the next write that fails: a
 * streamed token, or, for a whole answer, a heartbeat space written before the JSON
 * ({@link #awaitWithHeartbeat}). Each request may override the server's steering with the body field
 * {@code "refusal4j": {"steering": "none"|"ablate"|"add"|"subtract", "coeff": C, "layers": "A-B"}};
 * a field it leaves out is the server's when the request keeps the server's mode, else the mode's
 * default (coeff 1; ablation on every layer, addition at the direction's layer).
 *
 * <p>Every failure reaches the client as OpenAI's error object; a stack trace only ever goes to
 * the server's standard error.
 */
public final class ChatServer implements AutoCloseable {
    /** Largest request body read (bytes); a longer one is answered 413. */
    static final int MAX_BODY = 4 << 20;
    /** The JDK HTTP server's switch for TCP_NODELAY on its connections. */
    static final String NO_DELAY = "sun.net.httpserver.nodelay";
    static {
        // A streamed token is a small write after another small write: with Nagle's algorithm on,
        // the kernel holds it until the client acknowledges the previous one, and a client delays its
        // acknowledgement by up to 40 ms, so tokens would arrive in bursts and the first one late.
        // The JDK's server reads this property once, when its first server is created; a value the
        // user set (-Dsun.net.httpserver.nodelay=false) is kept.
        if (System.getProperty(NO_DELAY) == null) System.setProperty(NO_DELAY, "true");
    }

    /**
     * Where to listen and how much to accept. {@code port} 0: any free port. {@code apiKey} null: no
     * key. {@code timeout}: the longest a request may wait and be answered, from its arrival.
     * {@code batch}: requests decoded together at most; {@code queue}: requests waiting beyond them.
     * {@code grace}: how long {@link #close} lets running and queued requests finish before it
     * cancels them (a service manager's stop timeout should be longer).
     */
    public record Options(String host, int port, int queue, String apiKey, Duration timeout, int batch, Duration grace) {
        /** The grace period when none is given. */
        public static final Duration GRACE = Duration.ofSeconds(20);

        public Options {
            if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
            if (queue < 0) throw new IllegalArgumentException("--queue must be >= 0, got " + queue);
            if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--timeout must be positive, got " + timeout);
            if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0-65535, got " + port);
            if (grace.isNegative()) throw new IllegalArgumentException("--shutdown-grace must be >= 0, got " + grace);
        }

        public Options(String host, int port, int queue, String apiKey, Duration timeout, int batch) {
            this(host, port, queue, apiKey, timeout, batch, GRACE);
        }

        /** One request generated at a time. */
        public Options(String host, int port, int queue, String apiKey, Duration timeout) {
            this(host, port, queue, apiKey, timeout, 1);
        }
    }

    private final Transformer model;
    private final int graceSeconds;   // HttpServer.stop counts whole seconds
    private final PromptEncoder encoder;
    private final BatchDecoder decoder;
    private final String modelId;
    private final long created = System.currentTimeMillis() / 1000;
    private final RefusalDirection direction; // null: only "none" can be asked for
    private final float[] unit;
    private final Steering.Mode serverMode;
    private final Float serverCoeff;
    private final String serverLayers;
    private final Steering serverSteering;
    private final byte[] apiKey;
    private final long timeoutNanos;
    private final HttpServer http;
    private final ExecutorService worker;
    private final Semaphore slots;  // one per request admitted: those running and those waiting
    private final int capacity;
    private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final PrintStream log;
    private final Playground playground;
    private final Playground.Run run; // null: no run folder given
    private volatile boolean stopping;
    private volatile long heartbeatNanos = TimeUnit.SECONDS.toNanos(1);

    /**
     * Starts serving {@code model} (loaded from {@code modelDir}) with the server's steering: a mode,
     * coefficient and layers as the command line gives them (null: defaults).
     *
     * @throws IllegalArgumentException for a steering setting that does not fit the direction or model
     */
    public static ChatServer start(Path modelDir, Transformer model, RefusalDirection direction, Steering.Mode mode, Float coeff,
                                   String layers, Options options, PrintStream log) throws IOException {
        return new ChatServer(modelDir, model, direction, mode, coeff, layers, options, null, log);
    }

    /** As {@link #start(Path, Transformer, RefusalDirection, Steering.Mode, Float, String, Options, PrintStream)}, with a run's heatmaps on the playground ({@code run} null: none). */
    public static ChatServer start(Path modelDir, Transformer model, RefusalDirection direction, Steering.Mode mode, Float coeff,
                                   String layers, Options options, Playground.Run run, PrintStream log) throws IOException {
        return new ChatServer(modelDir, model, direction, mode, coeff, layers, options, run, log);
    }

    private ChatServer(Path modelDir, Transformer model, RefusalDirection direction, Steering.Mode mode, Float coeff, String layers,
                       Options options, Playground.Run run, PrintStream log) throws IOException {
        this.model = model;
        this.run = run;
        this.playground = new Playground(run);
        this.direction = direction;
        if (direction != null) direction.requireFits(Path.of("--direction"), model.config);
        this.unit = direction == null ? null : direction.unit();
        this.serverMode = mode == null ? (direction == null ? Steering.Mode.NONE : Steering.Mode.ABLATE) : mode;
        this.serverCoeff = coeff;
        this.serverLayers = layers;
        try {
            this.serverSteering = Steering.resolve(serverMode, coeff, layers, direction, model.config.layers, Steering.Names.OPTIONS);
        } catch (ApiError e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        this.encoder = PromptEncoder.load(modelDir, null, null);
        String name = modelDir.toAbsolutePath().normalize().getFileName().toString();
        this.modelId = name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
        this.apiKey = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.log = log;
        this.timeoutNanos = options.timeout().toNanos();
        this.graceSeconds = (int) Math.min(Integer.MAX_VALUE, (options.grace().toMillis() + 999) / 1000);
        // One platform thread runs the model: it is not shared between generations. Admission is
        // counted by the permits, not by the executor's queue, whose worker takes the next task only
        // some time after the previous request's answer has gone out.
        this.worker = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("refusal4j-serve-worker").daemon().unstarted(r));
        this.decoder = new BatchDecoder(model, encoder.tokenizer, GenerationConfig.stopIds(modelDir, model.config, encoder.tokenizer), worker, options.batch());
        this.capacity = options.queue() + options.batch();
        this.slots = new Semaphore(capacity);
        this.http = HttpServer.create(new InetSocketAddress(options.host(), options.port()), 0);
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
        http.start();
    }

    /** The port listened on (the one chosen when {@link Options#port} was 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    public String modelId() {
        return modelId;
    }

    /** The steering of requests that do not ask for their own. */
    public Steering steering() {
        return serverSteering;
    }

    /** The thread that runs the model, so that a test can keep it busy while requests wait. */
    ExecutorService worker() {
        return worker;
    }

    /** The batching's counts, for tests. */
    BatchDecoder decoder() {
        return decoder;
    }

    /** The admission permits, so that a test can take them all and see the server answer 429. */
    Semaphore slots() {
        return slots;
    }

    /** Blocks until {@link #close} has finished. */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Stops accepting connections, lets running and queued requests finish for up to the options'
     * grace period, then cancels what is left (a generation stops at its next token).
     */
    @Override
    public void close() {
        if (closed.getCount() == 0) return;
        http.stop(graceSeconds);
        stopping = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(graceSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        decoder.cancelWaiting(); // requests whose decoding loop never started
        handlers.shutdown();
        closed.countDown();
    }

    // ---------------------------------------------------------------- routing

    /** What has been sent on one exchange: once the status line is out, an error can only be an event. */
    private static final class Reply {
        final HttpExchange ex;
        boolean started;

        Reply(HttpExchange ex) {
            this.ex = ex;
        }
    }

    private void handle(HttpExchange ex) {
        Reply reply = new Reply(ex);
        long t0 = System.nanoTime();
        String outcome = "";
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/health")) {
                requireMethod(method, "GET");
                sendJson(reply, 200, Map.of("status", "ok", "model", modelId, "requests", capacity - slots.availablePermits()));
                return;
            }
            Playground.Asset file = playground.file(path);
            if (file != null) {
                requireMethod(method, "GET");
                Playground.send(ex, file, ex.getRequestURI().getRawQuery());
                reply.started = true;
                return;
            }
            if (path.equals("/playground/info")) {
                requireMethod(method, "GET");
                ex.getResponseHeaders().set("Cache-Control", "no-store");
                sendJson(reply, 200, playgroundInfo());
                return;
            }
            authorize(ex);
            if (path.startsWith(HEATMAPS) && path.endsWith(".svg")) {
                requireMethod(method, "GET");
                Playground.Asset map = playground.heatmap(path.substring(HEATMAPS.length(), path.length() - ".svg".length()));
                if (map == null) {
                    throw new ApiError(404, "invalid_request_error", null, "unknown_url", "no such heatmap: " + path + " (this server has "
                            + (run == null ? "no run folder: serve --run DIR" : run.scores().isEmpty() ? "no heatmaps in its run folder: refusal4j report DIR draws them"
                            : String.join(", ", run.scores().stream().map(s -> HEATMAPS + s + ".svg").toList())) + ")");
                }
                Playground.send(ex, map, null);
                reply.started = true;
            } else if (path.equals("/v1/models")) {
                requireMethod(method, "GET");
                sendJson(reply, 200, Map.of("object", "list", "data", List.of(modelObject())));
            } else if (path.startsWith("/v1/models/")) {
                requireMethod(method, "GET");
                String id = path.substring("/v1/models/".length());
                if (!id.equals(modelId)) throw unknownModel(id);
                sendJson(reply, 200, modelObject());
            } else if (path.equals("/v1/chat/completions")) {
                requireMethod(method, "POST");
                outcome = complete(reply, true);
            } else if (path.equals("/v1/completions")) {
                requireMethod(method, "POST");
                outcome = complete(reply, false);
            } else {
                throw new ApiError(404, "invalid_request_error", null, "unknown_url", "no such endpoint: " + method + " " + path
                        + " (this server has GET / (the playground), POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health)");
            }
        } catch (ApiError e) {
            outcome = e.status + " " + e.getMessage();
            fail(reply, e);
        } catch (RejectedExecutionException e) {
            outcome = "503 stopping";
            fail(reply, new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down"));
        } catch (UncheckedIOException e) {
            outcome = "client gone: " + e.getMessage();   // the client closed the connection mid-answer
        } catch (CancellationException e) {
            outcome = "cancelled (server stopping)";
            fail(reply, new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down"));
        } catch (Throwable e) {
            outcome = "500 " + e;
            synchronized (log) {
                log.println("error: " + ex.getRequestMethod() + " " + ex.getRequestURI() + ":");
                e.printStackTrace(log);
            }
            fail(reply, new ApiError(500, "server_error", null, "internal_error", "internal error: " + oneLine(e)));
        } finally {
            // logged before the exchange closes: a shutdown waits for open exchanges only, and a
            // client that has its whole answer may look at the log
            log.printf("%s %s %s (%.2f s)%n", ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    outcome.isEmpty() ? ex.getResponseCode() : outcome, (System.nanoTime() - t0) / 1e9);
            ex.close();
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed", "method " + method + " is not allowed here; use " + allowed);
        }
    }

    private void authorize(HttpExchange ex) {
        if (apiKey == null) return;
        String h = ex.getRequestHeaders().getFirst("Authorization");
        byte[] given = h != null && h.startsWith("Bearer ") ? h.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, apiKey)) { // constant time in the key's content
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key", "missing or wrong API key (send Authorization: Bearer KEY)");
        }
    }

    /** Where the run's heatmaps are served: {@code /run/heatmap/bypass.svg} and so on. */
    static final String HEATMAPS = "/run/heatmap/";

    /** What the playground page needs to know to draw its controls: the model, its direction, the server's steering, the run. */
    private Map<String, Object> playgroundInfo() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", modelId);
        m.put("layers", model.config.layers);
        m.put("context", model.config.maxPositions);
        m.put("direction", direction == null ? null : Map.of("layer", direction.layer(), "position", direction.position()));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("mode", serverSteering.mode().label());
        s.put("coeff", serverSteering.coeff());
        s.put("layers", serverSteering.mode() == Steering.Mode.NONE ? null : serverSteering.from() + "-" + serverSteering.to());
        s.put("describe", serverSteering.describe());
        m.put("steering", s);
        m.put("auth", apiKey != null);
        m.put("run", run == null ? null : Map.of("name", run.name(), "heatmaps", run.scores()));
        return m;
    }

    private Map<String, Object> modelObject() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", modelId);
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "refusal4j");
        return m;
    }

    private ApiError unknownModel(String id) {
        return new ApiError(404, "invalid_request_error", "model", "model_not_found",
                "the model '" + id + "' does not exist; this server serves '" + modelId + "'");
    }

    // ---------------------------------------------------------------- chat completions

    /** Answers one chat completion ({@code chat}) or text completion request; returns a line for the log. */
    private String complete(Reply reply, boolean chat) throws Exception {
        long arrived = System.nanoTime();
        JsonNode body = readJson(reply.ex);
        ChatRequest req = chat ? ChatRequest.parse(body) : ChatRequest.parseCompletion(body);
        if (req.model() != null && !req.model().equals(modelId)) throw unknownModel(req.model());
        Steering steering = steeringFor(req.steer());
        int[] prompt;
        if (chat) {
            try {
                // as TextGenerator renders and encodes a conversation, so that the answer is generate's
                prompt = encoder.tokenizer.encodeRendered(encoder.template.render(req.messages(), true, null, null));
            } catch (ChatTemplateException e) {
                throw ApiError.invalid("messages", "the model's chat template rejects these messages: " + e.getMessage());
            }
        } else {
            prompt = encoder.tokenizer.encodeRendered(req.prompt());
            if (prompt.length == 0) throw ApiError.invalid("prompt", "the prompt is empty: there is nothing to continue");
        }
        int context = model.config.maxPositions;
        String param = chat ? "messages" : "prompt";
        if (prompt.length >= context) {
            throw new ApiError(400, "invalid_request_error", param, "context_length_exceeded", (chat ? "the messages come to " : "the prompt is ")
                    + prompt.length + " tokens; this model's context is " + context + " tokens, which leaves no room for an answer");
        }
        int limit = Math.min(req.maxTokens() == null ? Integer.MAX_VALUE : req.maxTokens(), context - prompt.length);
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        long now = System.currentTimeMillis() / 1000;
        Supplier<Hooks> hooks = steering.mode() == Steering.Mode.NONE ? () -> null : () -> steering.hooks(direction, unit, model.config.layers);
        Stream events = req.stream() ? new Stream(reply, chat, id, now) : null;
        if (!slots.tryAcquire()) {
            throw new ApiError(429, "rate_limit_error", null, "queue_full", "the server is busy: " + capacity
                    + " requests are running or waiting, as many as it takes (serve --batch and --queue); retry later");
        }
        BatchDecoder.Output out;
        AtomicBoolean timedOut = new AtomicBoolean(), started = new AtomicBoolean(), gone = new AtomicBoolean();
        try {
            CompletableFuture<BatchDecoder.Output> job = decoder.submit(prompt, limit, req.sampling(), req.stop(), steering, hooks, new BatchDecoder.Listener() {
                @Override
                public void joined() {
                    if (stopping) throw new CancellationException("the server is stopping");
                    if (timedOut.get()) throw new CancellationException("timed out while waiting");
                    started.set(true);
                    if (events != null) events.post(events::open);
                }

                @Override
                public void text(String text) {
                    if (stopping) throw new CancellationException("the server is stopping");
                    if (timedOut.get()) throw new CancellationException("timed out");
                    if (gone.get()) throw new CancellationException("the client has gone");
                    if (events != null && !text.isEmpty()) events.post(() -> events.delta(text));
                }
            });
            try {
                out = events != null ? events.relay(job, arrived, gone) : awaitWithHeartbeat(reply, job, arrived, started, gone);
            } catch (TimeoutException e) {
                // the job stops at its next token (or does not start): wait for that, and for the
                // events it posted, so that nothing else writes to the stream while the error event goes out
                timedOut.set(true);
                try {
                    out = job.get();
                    if (events != null) events.drain();
                } catch (ExecutionException stopped) {
                    if (events != null) events.drain();
                    if (!(stopped.getCause() instanceof CancellationException) || stopping) throw stopped;
                    throw new ApiError(504, "server_error", null, "timeout", "no answer within the server's timeout of "
                            + Math.round(timeoutNanos / 1e9) + " s (serve --timeout); the answer was cancelled");
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        } finally {
            slots.release();
        }
        String finish = out.tokens() >= limit ? "length" : "stop";
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("prompt_tokens", prompt.length);
        usage.put("completion_tokens", out.tokens());
        usage.put("total_tokens", prompt.length + out.tokens());
        if (events != null) {
            events.finish(finish, req.includeUsage() ? usage : null);
        } else {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", 0);
            if (chat) {
                Map<String, Object> message = new LinkedHashMap<>();
                message.put("role", "assistant");
                message.put("content", out.text());
                choice.put("message", message);
            } else {
                choice.put("text", out.text());
            }
            choice.put("logprobs", null);
            choice.put("finish_reason", finish);
            Map<String, Object> answer = completionHeader(id, chat ? "chat.completion" : "text_completion", now);
            answer.put("choices", List.of(choice));
            answer.put("usage", usage);
            answer.put("refusal4j", Map.of("steering", steering.describe()));
            sendJson(reply, 200, answer);
        }
        return "200 " + out.tokens() + " tokens, " + finish + ", steering " + steering.describe();
    }

    /**
     * Waits for a whole (non-streamed) answer. Once its generation has run for a heartbeat, the 200
     * status goes out and a space (JSON allows it before the value) every heartbeat after that: the
     * only way this HTTP server notices a client that has gone is a write that fails, and then the
     * generation is cancelled at its next token. A timeout or shutdown after that point can only be
     * told as an error object in the 200 body.
     *
     * @throws UncheckedIOException when the client has gone (after the generation has stopped)
     */
    private BatchDecoder.Output awaitWithHeartbeat(Reply reply, Future<BatchDecoder.Output> job, long arrived, AtomicBoolean started,
                                                     AtomicBoolean gone) throws Exception {
        long beat = heartbeatNanos;
        while (true) {
            long left = timeoutNanos - (System.nanoTime() - arrived);
            if (left <= 0) throw new TimeoutException();
            try {
                return job.get(Math.min(left, beat), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (!started.get() || System.nanoTime() - arrived >= timeoutNanos) continue;
                try {
                    if (!reply.started) {
                        reply.ex.getResponseHeaders().set("Content-Type", "application/json");
                        reply.ex.sendResponseHeaders(200, 0);
                        reply.started = true;
                    }
                    OutputStream o = reply.ex.getResponseBody();
                    o.write(' ');
                    o.flush();
                } catch (IOException goneNow) {
                    gone.set(true);
                    try {
                        job.get();
                    } catch (ExecutionException | CancellationException stopped) {
                        // the generation stopped at the flag, or failed: either way nobody is listening
                    }
                    throw new UncheckedIOException(goneNow);
                }
            }
        }
    }

    /** Sets the interval of {@link #awaitWithHeartbeat}'s writes, so that a test need not wait a second for each. */
    void heartbeat(Duration interval) {
        heartbeatNanos = interval.toNanos();
    }

    private Steering steeringFor(ChatRequest.SteeringOverride o) {
        if (o.mode() == null && o.coeff() == null && o.layers() == null) return serverSteering;
        boolean sameMode = o.mode() == null || o.mode() == serverMode;
        Steering.Mode mode = o.mode() == null ? serverMode : o.mode();
        Float coeff = o.coeff() != null ? o.coeff() : sameMode ? serverCoeff : null;
        String layers = o.layers() != null ? o.layers() : sameMode ? serverLayers : null;
        return Steering.resolve(mode, coeff, layers, direction, model.config.layers, Steering.Names.REQUEST);
    }

    private Map<String, Object> completionHeader(String id, String object, long now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", object);
        m.put("created", now);
        m.put("model", modelId);
        m.put("system_fingerprint", null);
        return m;
    }

    /**
     * One streamed answer, then {@code data: [DONE]}: OpenAI's chat.completion.chunk events (a first
     * one with the role, then content deltas), or text_completion events (text pieces).
     *
     * <p>The decoding thread only {@link #post}s events; the request's own thread writes them
     * ({@link #relay}). A client that stops reading then fills its own socket buffer and stalls only
     * its own thread, never the decoding of the other requests in the batch.
     */
    private final class Stream {
        private final Reply reply;
        private final boolean chat;
        private final String id;
        private final String object;
        private final long now;
        private final LinkedBlockingQueue<Runnable> outbox = new LinkedBlockingQueue<>();

        Stream(Reply reply, boolean chat, String id, long now) {
            this.reply = reply;
            this.chat = chat;
            this.id = id;
            this.object = chat ? "chat.completion.chunk" : "text_completion";
            this.now = now;
        }

        /** From the decoding thread: an event for the request's thread to write. */
        void post(Runnable event) {
            outbox.add(event);
        }

        /**
         * Writes the posted events as they come until the generation ends, and returns its output.
         * A write that fails marks the client {@code gone} (its generation stops at the next token)
         * and ends the relay with that failure once the generation has stopped.
         *
         * @throws TimeoutException when the server's timeout passes first
         */
        BatchDecoder.Output relay(CompletableFuture<BatchDecoder.Output> job, long arrived, AtomicBoolean gone) throws Exception {
            job.whenComplete((out, failure) -> outbox.add(() -> {})); // wakes the loop below when the generation ends
            try {
                while (!job.isDone()) {
                    long left = timeoutNanos - (System.nanoTime() - arrived);
                    if (left <= 0) throw new TimeoutException();
                    Runnable event = outbox.poll(left, TimeUnit.NANOSECONDS);
                    if (event != null) event.run();
                }
                drain();
            } catch (UncheckedIOException goneNow) {
                gone.set(true);
                try {
                    job.get();
                } catch (ExecutionException | CancellationException stopped) {
                    // the generation stopped at the flag, or failed: either way nobody is listening
                }
                throw goneNow;
            }
            return job.get();
        }

        /** Writes every event posted so far (the generation has ended). */
        void drain() {
            for (Runnable event; (event = outbox.poll()) != null; ) event.run();
        }

        void open() {
            try {
                reply.ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                reply.ex.getResponseHeaders().set("Cache-Control", "no-cache");
                reply.ex.sendResponseHeaders(200, 0);
                reply.started = true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (chat) {
                Map<String, Object> delta = new LinkedHashMap<>();
                delta.put("role", "assistant");
                delta.put("content", "");
                chunk(delta, null);
            }
        }

        void delta(String text) {
            if (!text.isEmpty()) chunk(chat ? Map.of("content", text) : text, null);
        }

        void finish(String reason, Map<String, Object> usage) {
            chunk(chat ? Map.of() : "", reason);
            if (usage != null) {
                Map<String, Object> last = completionHeader(id, object, now);
                last.put("choices", List.of());
                last.put("usage", usage);
                event(last);
            }
            send("data: [DONE]\n\n");
        }

        /** {@code piece}: a chat delta object, or a text completion's text. */
        private void chunk(Object piece, String finish) {
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", 0);
            choice.put(chat ? "delta" : "text", piece);
            choice.put("logprobs", null);
            choice.put("finish_reason", finish);
            Map<String, Object> c = completionHeader(id, object, now);
            c.put("choices", List.of(choice));
            event(c);
        }

        private void event(Object value) {
            try {
                send("data: " + Json.LINE.writeValueAsString(value) + "\n\n");
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void send(String s) {
            try {
                OutputStream o = reply.ex.getResponseBody();
                o.write(s.getBytes(StandardCharsets.UTF_8));
                o.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    // ---------------------------------------------------------------- bodies

    private static JsonNode readJson(HttpExchange ex) throws IOException {
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(MAX_BODY + 1);
        }
        if (body.length > MAX_BODY) {
            throw new ApiError(413, "invalid_request_error", null, "request_too_large", "the request body is larger than " + MAX_BODY + " bytes");
        }
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "invalid_request_error", null, "invalid_json", "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** A JSON response; after a heartbeat has sent the 200 status, only the value (whatever its status). */
    private static void sendJson(Reply reply, int status, Object value) throws IOException {
        byte[] b = Json.LINE.writeValueAsBytes(value);
        if (reply.started) {
            reply.ex.getResponseBody().write(b);
            return;
        }
        reply.ex.getResponseHeaders().set("Content-Type", "application/json");
        reply.ex.sendResponseHeaders(status, b.length);
        reply.started = true;
        reply.ex.getResponseBody().write(b);
    }

    /** The error as a response, or, once a stream has begun, as its last event. */
    private static void fail(Reply reply, ApiError e) {
        try {
            if (!reply.started || "application/json".equals(reply.ex.getResponseHeaders().getFirst("Content-Type"))) {
                sendJson(reply, e.status, e.body());
            } else if ("text/event-stream; charset=utf-8".equals(reply.ex.getResponseHeaders().getFirst("Content-Type"))) {
                OutputStream o = reply.ex.getResponseBody();
                o.write(("data: " + Json.LINE.writeValueAsString(e.body()) + "\n\n").getBytes(StandardCharsets.UTF_8));
                o.flush();
            }
        } catch (IOException | RuntimeException ignored) {
            // the client has gone: nobody to tell
        }
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse("");
    }
}
