package dev.refusal4j.cli;

import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.serve.ChatServer;
import dev.refusal4j.serve.Playground;
import dev.refusal4j.serve.Steering;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code refusal4j serve}: the model behind an OpenAI-compatible HTTP API, optionally steered. */
@Command(name = "serve", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {"Serve the model over an OpenAI-compatible HTTP API: POST /v1/chat/completions (streaming or not),"
                + " POST /v1/completions (the prompt as raw text, no chat template), GET /v1/models, GET /health. Concurrent requests are decoded together"
                + " (continuous batching, grouped by steering), greedy unless a request sets temperature.",
                "GET / is a playground: one prompt answered by the model as it is and steered, side by side, with the --run folder's heatmaps.",
                "A request may choose its own steering with the extra body field"
                + " \"refusal4j\": {\"steering\": \"none\"|\"ablate\"|\"add\"|\"subtract\", \"coeff\": C, \"layers\": \"A-B\"}."})
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;
    @Option(names = "--direction", paramLabel = "FILE", description = "A refusal direction (direction.safetensors) to steer with (default: the --run folder's).")
    Path direction;
    @Option(names = "--run", paramLabel = "DIR", description = "A run folder (refusal4j run --out DIR): its direction, and its refusal-score heatmaps on the playground at /.")
    Path run;
    @Option(names = "--mode", paramLabel = "MODE", description = {"none, ablate, add or subtract: the steering of requests that do not choose their own"
            + " (default: ablate with --direction, else none)."})
    String mode;
    @Option(names = "--coeff", paramLabel = "C", description = "For add and subtract: x ← x ± C·r (default 1).")
    Float coeff;
    @Option(names = "--layers", paramLabel = "A-B", description = "Layers to steer (default: all for ablate, the direction's layer for add and subtract).")
    String layers;
    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only).")
    String host;
    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "Port (default ${DEFAULT-VALUE}; 0: any free port).")
    int port;
    @Option(names = "--batch", paramLabel = "N", defaultValue = "8", description = "Requests decoded together at most (default ${DEFAULT-VALUE}; 1: one at a time).")
    int batch;
    @Option(names = "--queue", paramLabel = "N", defaultValue = "16", description = "Requests that may wait for a place in the batch; more are answered 429 (default ${DEFAULT-VALUE}).")
    int queue;
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "The longest a request may wait and be answered; later, it is cancelled and answered 504 (default ${DEFAULT-VALUE}).")
    double timeout;
    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "20",
            description = "On SIGTERM or Ctrl-C, how long running and queued requests may finish before they are cancelled (default ${DEFAULT-VALUE}).")
    double shutdownGrace;
    @Option(names = "--api-key", paramLabel = "KEY", description = "Require Authorization: Bearer KEY on /v1 requests.")
    String apiKey;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Steering.Mode m;
        try {
            m = mode == null ? null : Steering.Mode.parse(mode, "--mode");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (!(timeout > 0 && timeout <= 1e9)) throw new IllegalArgumentException("--timeout must be a positive number of seconds, got " + timeout);
        if (!(shutdownGrace >= 0 && shutdownGrace <= 1e9)) throw new IllegalArgumentException("--shutdown-grace must be a number of seconds >= 0, got " + shutdownGrace);
        ChatServer.Options options = new ChatServer.Options(host, port, queue, apiKey, Duration.ofMillis(Math.max(1, Math.round(timeout * 1000))), batch,
                Duration.ofMillis(Math.round(shutdownGrace * 1000)));
        Playground.Run shown = run == null ? null : Playground.Run.read(run);
        Path dir = direction;
        if (run != null && dir == null && Files.isRegularFile(new RunFolder(run).direction())) dir = new RunFolder(run).direction();
        if (shown != null && dir == null && shown.heatmaps().isEmpty()) {
            throw new IllegalArgumentException("--run " + run + " holds neither direction.safetensors nor plots/heatmap_*.svg (refusal4j run --out DIR makes a run folder)");
        }
        try (Transformer t = Transformer.load(model)) {
            RefusalDirection d = dir == null ? null : RefusalDirection.read(dir);
            if (d != null) d.requireFits(dir, t.config);
            ChatServer server = ChatServer.start(model, t, d, m, coeff, layers, options, shown, System.err);
            // SIGTERM and Ctrl-C: stop accepting, let running requests finish, then exit
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("refusal4j-serve-shutdown").unstarted(server::close));
            out.println("serving " + server.modelId() + " at http://" + host + ":" + server.port() + "/v1 (steering: "
                    + server.steering().describe() + (d != null ? ", direction " + dir : "") + "); playground at http://" + host + ":" + server.port() + "/");
            if (shown != null && shown.heatmaps().isEmpty()) System.err.println("note: " + run + " has no heatmaps yet (refusal4j report " + run + " draws them)");
            server.awaitClosed();
        }
        return 0;
    }
}
