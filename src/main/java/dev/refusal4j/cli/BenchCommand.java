package dev.refusal4j.cli;

import dev.refusal4j.attack.AttackPrompt;
import dev.refusal4j.attack.TargetLosses;
import dev.refusal4j.grad.TargetLoss;
import dev.refusal4j.grad.TokenGradients;
import dev.refusal4j.model.Flops;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.OpProfile;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Parallel;
import dev.refusal4j.tensor.StreamRead;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code refusal4j bench}: prefill and decode speed of a model directory, or of a random-weight
 * model built from a real config (so that nothing needs to be downloaded). Reports the median of
 * several rounds after a warm-up, effective GFLOP/s and peak RSS.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure prefill and decode speed.")
public final class BenchCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = "--model", paramLabel = "MODEL", description = "The model to benchmark: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache.")
        Path model;

        @Option(names = "--random-config", paramLabel = "NAME|FILE",
                description = "Random weights for a real config: a config.json path, or a bundled name (Qwen2.5-0.5B-Instruct, Llama-3.2-1B-Instruct).")
        String randomConfig;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--dtype", defaultValue = "BF16", description = "Weight dtype of the random model: F32, BF16, F16 (default ${DEFAULT-VALUE}).")
    DType dtype;

    @Option(names = "--batch", defaultValue = "8", description = "Prefill batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--prompt-len", defaultValue = "64", description = "Prefill tokens per sequence (default ${DEFAULT-VALUE}).")
    int promptLen;

    @Option(names = "--long-prompt", defaultValue = "512", description = "Single-sequence prefill length, 0 to skip (default ${DEFAULT-VALUE}).")
    int longPrompt;

    @Option(names = "--decode", defaultValue = "32", description = "Tokens to decode for one sequence (default ${DEFAULT-VALUE}).")
    int decode;

    @Option(names = "--gcg", description = "Also time one GCG step on a prompt of --prompt-len tokens: the suffix tokens' gradient (one forward and backward) and the losses of --gcg-batch candidate suffixes (forward passes from the shared prompt).")
    boolean gcg;

    @Option(names = "--gcg-batch", defaultValue = "128", description = "Candidate suffixes of the GCG step (default ${DEFAULT-VALUE}).")
    int gcgBatch;

    @Option(names = "--gcg-suffix-len", defaultValue = "20", description = "Suffix tokens of the GCG step (default ${DEFAULT-VALUE}).")
    int gcgSuffix;

    @Option(names = "--profile", description = "Also print, for each measurement, where its measured rounds spent their time: matrix products"
            + " (with their GFLOP/s), attention, norms, rope, activation, output head and the rest.")
    boolean profile;

    @Option(names = "--rounds", defaultValue = "3", description = "Measured rounds after one warm-up (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--work-dir", paramLabel = "DIR", description = "Where random models are kept between runs (default: the system temp folder).")
    Path workDir;

    /** The forward passes' profile with --profile, else {@link OpProfile#OFF}. */
    private OpProfile prof = OpProfile.OFF;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (batch < 1) throw new IllegalArgumentException("--batch " + batch + " must be >= 1");
        if (promptLen < 1) throw new IllegalArgumentException("--prompt-len " + promptLen + " must be >= 1");
        if (longPrompt < 0) throw new IllegalArgumentException("--long-prompt " + longPrompt + " must be >= 0 (0 skips it)");
        if (decode < 0) throw new IllegalArgumentException("--decode " + decode + " must be >= 0 (0 skips it)");
        if (gcgBatch < 1) throw new IllegalArgumentException("--gcg-batch " + gcgBatch + " must be >= 1");
        if (gcgSuffix < 1) throw new IllegalArgumentException("--gcg-suffix-len " + gcgSuffix + " must be >= 1");
        if (rounds < 1) throw new IllegalArgumentException("--rounds " + rounds + " must be >= 1");
        Path dir = source.model != null ? source.model : randomModel();
        long t0 = System.nanoTime();
        try (Transformer m = Transformer.load(dir)) {
            double loadS = (System.nanoTime() - t0) / 1e9;
            ModelConfig c = m.config;
            fitToContext(c);
            System.out.printf("model     %s  %s  weights %s  %.2f GB  threads %d%n", dir.getFileName(), c, weightTypes(m),
                    fileBytes(dir) / 1e9, Parallel.THREADS);
            System.out.printf("load      %.2f s (memory-mapped)%n", loadS);
            prof = profile ? new OpProfile() : OpProfile.OFF;
            m.profile(prof);
            SplittableRandom r = new SplittableRandom(1);
            int[][] tokens = new int[batch][promptLen];
            for (int[] row : tokens) for (int i = 0; i < row.length; i++) row[i] = r.nextInt(c.vocab);
            double flopsPerTok = Flops.perToken(c, promptLen);
            double[] pf = time(timed(() -> m.forward(Forward.of(tokens).logits(Transformer.Logits.LAST_ONLY))));
            double pfTok = batch * promptLen / median(pf);
            System.out.printf("prefill   %d x %d: %8.1f tokens/s  %6.1f GFLOP/s  (rounds: %s s)%n", batch, promptLen, pfTok,
                    pfTok * flopsPerTok / 1e9, fmt(pf));
            printProfile(prof);
            if (longPrompt > 0) {
                int[][] one = new int[1][longPrompt];
                for (int i = 0; i < longPrompt; i++) one[0][i] = r.nextInt(c.vocab);
                double[] lp = time(timed(() -> m.forward(Forward.of(one).logits(Transformer.Logits.LAST_ONLY))));
                double lpTok = longPrompt / median(lp);
                System.out.printf("prefill   1 x %d: %8.1f tokens/s  %6.1f GFLOP/s  (rounds: %s s)%n", longPrompt, lpTok,
                        lpTok * Flops.perToken(c, longPrompt) / 1e9, fmt(lp));
                printProfile(prof);
            }
            if (decode > 0) {
                int[] prompt = Arrays.copyOf(tokens[0], Math.min(16, promptLen));
                double[] decodeOnly = time(() -> { // counts the decode steps, not the prompt
                    var cache = m.newCache(1, prompt.length + decode);
                    m.profile(OpProfile.OFF);
                    float[] logits = m.forward(Forward.of(prompt).cache(cache).logits(Transformer.Logits.LAST));
                    m.profile(prof);
                    long s = System.nanoTime();
                    int[][] step = new int[1][1];
                    // one request and one logits buffer for every step, as the generator does
                    Forward next = Forward.of(step).cache(cache).logits(Transformer.Logits.LAST).into(new float[c.vocab]);
                    for (int i = 0; i < decode; i++) {
                        step[0][0] = dev.refusal4j.generate.Sampler.argmax(logits, 0, c.vocab);
                        logits = m.forward(next);
                    }
                    return (System.nanoTime() - s) / 1e9;
                });
                double dTok = decode / median(decodeOnly);
                double bytes = weightBytesPerToken(m);
                System.out.printf("decode    1 seq, %d tokens: %8.1f tokens/s  (%.1f GB/s of weights)  (rounds: %s s)%n", decode, dTok,
                        dTok * bytes / 1e9, fmt(decodeOnly));
                printProfile(prof);
                // the ceiling of decode: the same weights read with nothing else to do
                var segments = decodeMatrices(m).stream().map(w -> w.data).toList();
                double[] read = time(timed(() -> StreamRead.read(segments)));
                System.out.printf("read      the decode step's weights alone: %.1f GB/s; decode reads at %.0f%% of it  (rounds: %s s)%n",
                        bytes / median(read) / 1e9, 100 * dTok * median(read), fmt(read));
            }
            m.profile(OpProfile.OFF);
            if (gcg) gcgStep(m, r);
            System.out.printf("peak RSS  %.2f GB (model files %.2f GB)%n", peakRssBytes() / 1e9, fileBytes(dir) / 1e9);
        }
        return 0;
    }

    /**
     * One GCG step as {@code suffix-attack} runs it, on random tokens: a prompt of --prompt-len
     * tokens, the suffix, 5 template tokens after it and a 5-token target.
     */
    private void gcgStep(Transformer m, SplittableRandom r) {
        int after = 5, target = 5;
        AttackPrompt p = new AttackPrompt("bench", randomIds(r, promptLen, m.config.vocab), randomIds(r, after, m.config.vocab), randomIds(r, target, m.config.vocab));
        int[] suffix = randomIds(r, gcgSuffix, m.config.vocab);
        int[] ids = p.withTarget(suffix);
        if (ids.length > m.config.maxPositions) throw new IllegalArgumentException("--prompt-len " + promptLen + " + --gcg-suffix-len " + gcgSuffix + " + 10 does not fit the model's context of " + m.config.maxPositions);
        int[] positions = new int[gcgSuffix];
        for (int i = 0; i < gcgSuffix; i++) positions[i] = p.suffixStart() + i;
        TokenGradients grads = new TokenGradients(m);
        double[] g = time(timed(() -> grads.compute(ids, TargetLoss.completion(ids, p.targetFrom(gcgSuffix)), positions)));
        java.util.List<int[]> candidates = new java.util.ArrayList<>();
        for (int b = 0; b < gcgBatch; b++) candidates.add(randomIds(r, gcgSuffix, m.config.vocab));
        double[] c = time(timed(() -> TargetLosses.of(m, java.util.List.of(p), candidates)));
        int own = gcgSuffix + after + target;
        System.out.printf("gcg grad  1 x %d: %8.1f tokens/s forward+backward  (rounds: %s s)%n", ids.length, ids.length / median(g), fmt(g));
        System.out.printf("gcg cand  %d x %d after a shared %d: %8.1f tokens/s  %6.1f GFLOP/s  (rounds: %s s)%n", gcgBatch, own, promptLen,
                gcgBatch * own / median(c), gcgBatch * own * Flops.perToken(m.config, ids.length) / median(c) / 1e9, fmt(c));
        System.out.printf("gcg step  %.3f s per prompt (gradient + %d candidates)%n", median(g) + median(c), gcgBatch);
    }

    /** With --profile: the measured rounds' time by operation, indented under the line it explains. */
    private static void printProfile(OpProfile p) {
        if (p == OpProfile.OFF || p.calls() == 0) return;
        double total = p.totalSeconds();
        StringBuilder sb = new StringBuilder();
        for (OpProfile.Op op : OpProfile.Op.values()) {
            double s = p.seconds(op);
            sb.append(String.format("          %-10s %8.3f s  %5.1f%%", op.label, s, total > 0 ? 100 * s / total : 0));
            if (p.flops(op) > 0 && s > 0) sb.append(String.format("  %7.1f GFLOP/s", p.flops(op) / s / 1e9));
            sb.append('\n');
        }
        System.out.print(sb);
    }

    private static int[] randomIds(SplittableRandom r, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }

    /**
     * Lengths that fit the model's context: a default that does not (--long-prompt 512 on a model
     * of 256 positions) is lowered to the context, with a note; a value the user gave is an error
     * naming the option.
     */
    private void fitToContext(ModelConfig c) {
        int ctx = c.maxPositions;
        promptLen = fit("--prompt-len", promptLen, ctx, c);
        longPrompt = fit("--long-prompt", longPrompt, ctx, c);
        decode = fit("--decode", decode, ctx - Math.min(16, promptLen), c); // decoding follows a prompt of up to 16 tokens
    }

    private int fit(String option, int value, int limit, ModelConfig c) {
        if (value <= limit) return value;
        boolean given = spec != null && spec.commandLine().getParseResult().hasMatchedOption(option);
        if (given) {
            throw new IllegalArgumentException(option + " " + value + " does not fit the model's context: " + c.file + " has max_position_embeddings " + c.maxPositions);
        }
        System.err.printf("note: %s lowered from its default %d to %d to fit the model's context of %d positions%n", option, value, limit, c.maxPositions);
        return limit;
    }

    /**
     * One warm-up run (JIT, page cache), then {@code rounds} runs; the body returns the seconds to
     * count. A profile holds the measured rounds only.
     */
    private double[] time(java.util.function.DoubleSupplier body) {
        body.getAsDouble();
        prof.reset();
        double[] t = new double[rounds];
        for (int i = 0; i < rounds; i++) t[i] = body.getAsDouble();
        return t;
    }

    private static java.util.function.DoubleSupplier timed(Runnable r) {
        return () -> {
            long s = System.nanoTime();
            r.run();
            return (System.nanoTime() - s) / 1e9;
        };
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) sb.append(sb.isEmpty() ? "" : " ").append(String.format("%.3f", x));
        return sb.toString();
    }

    /** The stored types of the matrices a decode step reads, by their share of its bytes: "Q4_K 37% + Q4_0 63%", or one type. */
    static String weightTypes(Transformer m) {
        java.util.Map<dev.refusal4j.tensor.DType, Double> bytes = new java.util.TreeMap<>();
        for (var w : decodeMatrices(m)) bytes.merge(w.dtype, (double) w.data.byteSize(), Double::sum);
        if (bytes.size() == 1) return bytes.keySet().iterator().next().toString();
        double total = bytes.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder sb = new StringBuilder();
        bytes.forEach((t, b) -> sb.append(sb.isEmpty() ? "" : " + ").append(t).append(String.format(" %.0f%%", 100 * b / total)));
        return sb.toString();
    }

    private static java.util.List<dev.refusal4j.tensor.Matrix> decodeMatrices(Transformer m) {
        java.util.List<dev.refusal4j.tensor.Matrix> out = new java.util.ArrayList<>(java.util.List.of(m.weights.lmHead));
        for (var l : m.weights.layers) {
            for (var w : new dev.refusal4j.tensor.Matrix[] {l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown}) if (w != null) out.add(w);
        }
        return out;
    }

    /** Bytes of the matrices a decode step reads whole: every layer's projections and the lm head, in their stored types. */
    static double weightBytesPerToken(Transformer m) {
        double sum = 0;
        for (var w : decodeMatrices(m)) sum += w.data.byteSize();
        return sum;
    }

    /** The bytes of the model's weight files: its safetensors, or its GGUF parts. */
    static long fileBytes(Path dir) throws IOException {
        dev.refusal4j.io.ModelPath model = dev.refusal4j.io.ModelPath.of(dir);
        if (model.isGguf()) {
            long n = 0;
            for (Path p : model.ggufParts()) n += Files.size(p);
            return n;
        }
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** VmHWM of this process (Linux), or -1. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException ignored) {
            // not Linux
        }
        return -1;
    }

    private Path randomModel() throws IOException {
        String name = source.randomConfig;
        Path cfg = Path.of(name);
        if (Files.isDirectory(cfg)) cfg = cfg.resolve("config.json");
        String label;
        if (Files.isRegularFile(cfg)) {
            label = cfg.toAbsolutePath().getParent().getFileName().toString();
        } else {
            label = name;
            try (InputStream in = BenchCommand.class.getResourceAsStream("/configs/" + name + ".json")) {
                if (in == null) throw new IllegalArgumentException("--random-config " + name + ": no such config file, and no bundled config of that name (bundled: Qwen2.5-0.5B-Instruct, Llama-3.2-1B-Instruct)");
                cfg = Files.createTempFile("refusal4j-config", ".json");
                Files.write(cfg, in.readAllBytes());
            }
        }
        Path base = workDir != null ? workDir : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = base.resolve("refusal4j-random-" + label + "-" + dtype.name().toLowerCase());
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            System.err.println("writing random " + dtype + " weights for " + label + " to " + dir + " ...");
            RandomModel.write(cfg, dir, dtype, 1234);
        }
        return dir;
    }
}
