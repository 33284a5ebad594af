package dev.refusal4j.bench;

import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.optimize.Journal;
import dev.refusal4j.optimize.Search;
import dev.refusal4j.optimize.Study;
import dev.refusal4j.run.BatchSize;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Parallel;
import dev.refusal4j.testutil.Shared;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Time per trial of {@code refusal4j optimize}: the seeded search of {@code optimize}'s defaults run
 * for a few trials into a temporary journal, on the bundled organism or on random weights of the
 * Qwen2.5-0.5B-Instruct configuration (F32, Qwen2.5's tokenizer from ../shared, as {@code bench
 * --random-config} writes them, seed 1234). Prints the one-time setup (prompts, directions, the
 * objectives' unedited logits) and, per trial, wall seconds (what the journal records) and the
 * process's CPU seconds, then the medians of finished and of pruned trials: on a shared machine the
 * CPU seconds still measure the work. Not a JMH benchmark: a trial is seconds to minutes and differs
 * by its parameters, so the trials themselves are the samples.
 *
 * <p>Run (after {@code ./test.sh} or {@code ./refusal4j-jmh} compiled the test classes):
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp target/test-classes:target/classes:$(cat target/jmh.classpath)
 * dev.refusal4j.bench.OptimizeTrialBench organism|qwen2.5-0.5b [TRIALS [WORK_DIR]]}; default 30 trials on
 * the organism, 5 on the Qwen configuration (n-train 32, n-val 32; its first trials are
 * the sampler's random ones, as in any search); the random model is kept in WORK_DIR (default the
 * system temp folder) between runs.
 */
public final class OptimizeTrialBench {
    private OptimizeTrialBench() {}

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "organism";
        boolean qwen = which.equalsIgnoreCase("qwen2.5-0.5b");
        if (!qwen && !which.equalsIgnoreCase("organism")) throw new IllegalArgumentException("expected organism or qwen2.5-0.5b, got " + which);
        int trials = args.length > 1 ? Integer.parseInt(args[1]) : qwen ? 5 : 30;
        Path work = args.length > 2 ? Path.of(args[2]) : Path.of(System.getProperty("java.io.tmpdir"));
        Path model = qwen ? randomQwen(work) : Path.of("models/organism");
        int nTrain = qwen ? 32 : 128;
        int batch = BatchSize.auto(ModelConfig.load(model), 160);
        Study.Settings s = new Study.Settings(model, 1, 10, 24, batch, nTrain, 32, 100, 42);
        Path dir = Files.createTempDirectory("refusal4j-optimize-bench");
        var cpu = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Study study = new Study(s)) {
            long w0 = System.nanoTime(), c0 = cpu.getProcessCpuTime();
            study.directions();
            study.objectives();
            System.out.printf(Locale.ROOT, "model     %s  %s  threads %d  batch %d%n", model.getFileName(), study.model.config, Parallel.THREADS, batch);
            System.out.printf(Locale.ROOT, "setup     %.2f s wall, %.2f s CPU (directions from %d+%d training prompts, unedited logits of the harmless validation prompts)%n",
                    (System.nanoTime() - w0) / 1e9, (cpu.getProcessCpuTime() - c0) / 1e9, nTrain, nTrain);
            Journal journal = Journal.openOrCreate(dir, study.header(), study.space);
            List<double[]> finished = new ArrayList<>(), pruned = new ArrayList<>();
            long[] last = {cpu.getProcessCpuTime()};
            Search.run(study, journal, trials, (e, front) -> {
                long now = cpu.getProcessCpuTime();
                double[] t = {e.seconds(), (now - last[0]) / 1e9};
                last[0] = now;
                (e.pruned() ? pruned : finished).add(t);
                System.out.printf(Locale.ROOT, "trial %3d %s %7.3f s wall %7.3f s CPU%n", e.trial(), e.pruned() ? "pruned  " : "finished", t[0], t[1]);
            });
            summary("finished", finished);
            summary("pruned", pruned);
            System.out.printf(Locale.ROOT, "load      %.2f (1-minute load average)%n", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        } finally {
            dev.refusal4j.io.AtomicFiles.deleteRecursively(dir);
        }
    }

    private static void summary(String what, List<double[]> t) {
        if (t.isEmpty()) {
            System.out.printf("%-9s none%n", what);
            return;
        }
        System.out.printf(Locale.ROOT, "%-9s %d trials: median %.3f s wall, %.3f s CPU (wall %.3f..%.3f)%n", what, t.size(), median(t, 0), median(t, 1),
                t.stream().mapToDouble(x -> x[0]).min().orElseThrow(), t.stream().mapToDouble(x -> x[0]).max().orElseThrow());
    }

    private static double median(List<double[]> t, int k) {
        double[] v = t.stream().mapToDouble(x -> x[k]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** Random F32 weights of the bundled Qwen2.5-0.5B-Instruct config with Qwen2.5's tokenizer files, written once into {@code work}. */
    static Path randomQwen(Path work) throws Exception {
        Path dir = work.resolve("refusal4j-random-Qwen2.5-0.5B-Instruct-f32");
        if (!Files.isRegularFile(dir.resolve("model.safetensors"))) {
            Path cfg = Files.createTempFile("refusal4j-config", ".json");
            try (InputStream in = OptimizeTrialBench.class.getResourceAsStream("/configs/Qwen2.5-0.5B-Instruct.json")) {
                Files.write(cfg, in.readAllBytes());
            }
            System.err.println("writing random F32 weights for Qwen2.5-0.5B-Instruct to " + dir + " ...");
            RandomModel.write(cfg, dir, DType.F32, 1234);
            Files.delete(cfg);
        }
        Path tok = Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges");
        for (String f : Arrays.asList("vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json")) {
            if (!Files.exists(dir.resolve(f))) Files.copy(tok.resolve(f), dir.resolve(f));
        }
        return dir;
    }
}
