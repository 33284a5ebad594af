package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.BuiltinPrompts;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.serve.ChatServer;
import dev.refusal4j.serve.ServeBench;
import dev.refusal4j.serve.Steering;
import dev.refusal4j.tensor.Parallel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;

/**
 * {@code refusal4j serve-bench}: the server's throughput as clients see it. Starts {@code serve}
 * on loopback in this process and runs rounds of 1, 4, 16 (--clients) concurrent clients, each
 * streaming --requests answers one after another, every request with a prompt of its own.
 */
@Command(name = "serve-bench", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {"Throughput of serve on loopback: rounds of concurrent clients (--clients), each streaming --requests chat completions"
                + " of --max-tokens tokens with distinct prompts; prints completion tokens/s, latency percentiles and time to the first token per round.",
                "Prompts: the model's splits/harmless_test.json, else the built-in harmless set. Two unmeasured rounds go first (the most clients, then one), for the JIT."})
public final class ServeBenchCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (default: the bundled organism).")
    Path model;
    @Option(names = "--direction", paramLabel = "FILE", description = "A refusal direction, for --steering.")
    Path direction;
    @Option(names = "--steering", paramLabel = "MODE", defaultValue = "none", description = "none, ablate, add or subtract: every request's steering (default ${DEFAULT-VALUE}).")
    String steering;
    @Option(names = "--clients", paramLabel = "N,N,...", split = ",", defaultValue = "1,4,16", description = "Concurrent clients of each round (default ${DEFAULT-VALUE}).")
    List<Integer> clients;
    @Option(names = "--requests", paramLabel = "N", defaultValue = "4", description = "Requests each client sends, one after another (default ${DEFAULT-VALUE}).")
    int requests;
    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "32", description = "Tokens each answer may have (default ${DEFAULT-VALUE}); greedy answers may end sooner.")
    int maxTokens;
    @Option(names = "--batch", paramLabel = "N", description = "serve --batch: requests decoded together (default: the most clients of a round).")
    Integer batch;

    @Override
    public Integer call() throws Exception {
        if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1)) throw new IllegalArgumentException("--clients must be numbers >= 1, got " + clients);
        if (requests < 1) throw new IllegalArgumentException("--requests must be >= 1, got " + requests);
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        Steering.Mode mode;
        try {
            mode = Steering.Mode.parse(steering, "--steering");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (mode != Steering.Mode.NONE && direction == null) throw new IllegalArgumentException("--steering " + steering + " needs --direction");
        int most = clients.stream().mapToInt(Integer::intValue).max().orElseThrow();
        int decodeTogether = batch == null ? most : batch;
        List<String> prompts = prompts(model);
        // every server log line would drown the table: the log is kept and shown only on failure
        ByteArrayOutputStream serverLog = new ByteArrayOutputStream();
        ChatServer.Options options = new ChatServer.Options("127.0.0.1", 0, most * requests, null, Duration.ofHours(1), decodeTogether);
        try (Transformer t = Transformer.load(model);
             ChatServer server = ChatServer.start(model, t, direction == null ? null : RefusalDirection.read(direction), null, null, null, options,
                     new PrintStream(serverLog, true, StandardCharsets.UTF_8))) {
            System.out.printf("serve-bench %s (%s), %d threads, batch %d, %d tokens per answer at most, greedy, steering %s%n",
                    server.modelId(), t.config, Parallel.THREADS, decodeTogether, maxTokens, steering);
            System.out.println("cpu " + cpu());
            Map<String, Object> field = mode == Steering.Mode.NONE ? null : Map.of("steering", steering);
            ServeBench bench = new ServeBench(URI.create("http://127.0.0.1:" + server.port()), null);
            try {
                // until the JIT has compiled the batched paths, the first rounds run several times slower
                bench.run(new ServeBench.Load(prompts, most, requests, maxTokens, field, Duration.ofHours(1)));
                bench.run(new ServeBench.Load(prompts, 1, requests, maxTokens, field, Duration.ofHours(1)));
                System.out.println(ServeBench.Summary.HEADER);
                for (int c : clients) {
                    ServeBench.Load load = new ServeBench.Load(prompts, c, requests, maxTokens, field, Duration.ofHours(1));
                    long t0 = System.nanoTime();
                    List<ServeBench.Answer> answers = bench.run(load);
                    System.out.println(ServeBench.Summary.of(c, answers, (System.nanoTime() - t0) / 1e9).line());
                }
            } catch (IOException e) {
                System.err.print(serverLog.toString(StandardCharsets.UTF_8));
                throw e;
            }
        }
        return 0;
    }

    /** Distinct instructions: the model's harmless test split when it has one, else the built-in harmless set. */
    private static List<String> prompts(Path modelDir) {
        Path split = RunPrompts.split(modelDir, "harmless_test");
        List<Prompt> p = Files.isRegularFile(split) ? PromptLoader.load(split) : BuiltinPrompts.harmless();
        return new ArrayList<>(new TreeSet<>(p.stream().map(Prompt::instruction).toList()));
    }

    /** The CPU's name and its AVX-512 features, from /proc/cpuinfo (Linux), since throughput depends on both. */
    static String cpu() {
        try {
            String name = "unknown";
            TreeSet<String> avx512 = new TreeSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name") && name.equals("unknown")) name = line.substring(line.indexOf(':') + 1).strip();
                if (line.startsWith("flags")) for (String f : line.substring(line.indexOf(':') + 1).strip().split(" ")) if (f.startsWith("avx512")) avx512.add(f);
            }
            return name + (avx512.isEmpty() ? ", no AVX-512" : ", " + String.join(" ", avx512));
        } catch (IOException e) {
            return "unknown (no /proc/cpuinfo)";
        }
    }
}
