package dev.refusal4j.spark;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.evaluate.Completions;
import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.model.LayerSweep;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.run.MemoryLimit;
import dev.refusal4j.run.RunConfig;
import dev.refusal4j.run.StageEngine;
import dev.refusal4j.select.CandidateScorer;
import dev.refusal4j.select.Filter;
import dev.refusal4j.select.SelectionCriteria;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.DoubleAccumulator;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * The pipeline's three model-heavy stages as Spark jobs. Each job cuts the work along the units one
 * process uses anyway (the batches of the activations and completions, the candidates of scoring),
 * deals them round-robin to as many tasks as the cluster runs at once, and each task computes its
 * units with the core's code on the model memory-mapped on its executor. The driver puts the units
 * back in order, so the results are the local run's to the bit: the float64 activation sums of the
 * batches are added in batch order, as one process adds them.
 */
final class SparkEngine implements StageEngine {
    /**
     * Fault injection for the tests and for trying a cluster's retry settings: "STAGE:N" makes the
     * first N attempts of every task of STAGE (directions, select, completions) fail.
     */
    static final String FAIL_ATTEMPTS = "spark.refusal4j.failAttempts";

    private final JavaSparkContext sc;
    private final String modelPath;   // as the executors see it
    private final String failAttempts;
    private final Long memoryLimit;   // --memory-limit, for each executor; null: its cgroup's or machine's
    private final DoubleAccumulator flops;   // the executors' forward FLOPs

    SparkEngine(String master, RunConfig cfg) {
        this.modelPath = executorModel(cfg).toString();
        this.memoryLimit = cfg.memoryLimit;
        SparkConf conf = new SparkConf().setMaster(master).setAppName("refusal4j " + cfg.model.getFileName());
        boolean local = master.startsWith("local");
        conf.setIfMissing("spark.ui.enabled", Boolean.toString(!local));
        // Executors run the same kernels: the Vector API and FFM (Spark 4.2 adds the module itself; the flag is harmless twice).
        conf.setIfMissing("spark.executor.extraJavaOptions", "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED");
        List<String> jars = new ArrayList<>();
        for (Class<?> c : new Class<?>[] {StageEngine.class, SparkEngine.class}) {
            var src = c.getProtectionDomain().getCodeSource();
            if (src != null && src.getLocation().getPath().endsWith(".jar")) jars.add(src.getLocation().toString());
        }
        if (!local && !jars.isEmpty()) conf.setJars(jars.toArray(String[]::new));  // a cluster's executors load the classes from these
        this.sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        this.failAttempts = sc.getConf().get(FAIL_ATTEMPTS, "");
        this.flops = sc.sc().doubleAccumulator("refusal4j forward FLOPs");
    }

    /** Where the executors read the model: --spark-model, else the driver's path made absolute. */
    private static Path executorModel(RunConfig cfg) {
        if (cfg.sparkModel != null) return cfg.sparkModel;
        return Files.exists(cfg.model) ? cfg.model.toAbsolutePath().normalize() : cfg.model;
    }

    @Override
    public double[][][] meanResidPre(List<int[]> prompts, int positions, int batchSize, ProgressListener progress) {
        List<int[]> ids = new ArrayList<>(prompts);
        int batches = MeanActivations.batches(ids, positions, batchSize);
        List<Partial<double[][][]>> parts = run("directions", batches, (m, mine, sweep) -> {
            double[][][][] sums = MeanActivations.batchSums(m, ids, positions, batchSize, mine, sweep, null);
            List<Partial<double[][][]>> out = new ArrayList<>();
            for (int b = 0; b < sums.length; b++) if (sums[b] != null) out.add(new Partial<>(b, sums[b]));
            return out;
        });
        double[][][][] byBatch = new double[batches][][][];
        for (Partial<double[][][]> p : parts) byBatch[p.index()] = p.value();
        progress.done(ids.size());
        return MeanActivations.mean(Arrays.asList(byBatch), ids.size());
    }

    @Override
    public CandidateScorer.Scores score(float[][][] candidates, List<int[]> harmful, List<int[]> harmless, int[] refusalTokens, int batchSize,
                                        SelectionCriteria stopAt, ProgressListener progress) {
        List<int[]> h = new ArrayList<>(harmful), hl = new ArrayList<>(harmless);
        int P = candidates.length, L = candidates[0].length;
        // SelectionCriteria is not Serializable: its three numbers travel instead
        Double kl = stopAt == null ? null : stopAt.klThreshold(), induce = stopAt == null ? null : stopAt.induceThreshold();
        Double prune = stopAt == null ? null : stopAt.pruneLayerFraction();
        boolean all = stopAt == null;
        List<Partial<double[]>> parts = run("select", P * L, (m, mine, sweep) -> {
            SelectionCriteria crit = all ? null : new SelectionCriteria(kl, induce, prune);
            CandidateScorer.Scores s = new CandidateScorer(m, refusalTokens, batchSize).sweeping(sweep).score(candidates, h, hl, crit, mine, null);
            List<Partial<double[]>> out = new ArrayList<>();
            for (int i = 0; i < P * L; i++) {
                if (!mine.test(i)) continue;
                int p = i / L, l = i % L;
                Filter f = s.stoppedBy()[p][l];
                out.add(new Partial<>(i, new double[] {s.bypass()[p][l], s.induce()[p][l], s.kl()[p][l], f == null ? -1 : f.ordinal()}));
            }
            return out;
        });
        double[][] bypass = new double[P][L], ind = new double[P][L], klv = new double[P][L];
        Filter[][] stopped = new Filter[P][L];
        for (Partial<double[]> part : parts) {
            int p = part.index() / L, l = part.index() % L;
            double[] v = part.value();
            bypass[p][l] = v[0];
            ind[p][l] = v[1];
            klv[p][l] = v[2];
            stopped[p][l] = v[3] < 0 ? null : Filter.values()[(int) v[3]];
        }
        if (parts.size() != P * L) throw new IllegalStateException("spark: the select stage returned " + parts.size() + " of " + P * L + " candidates");
        progress.done((long) P * L);
        return new CandidateScorer.Scores(bypass, ind, klv, stopped);
    }

    @Override
    public int[][] complete(List<int[]> prompts, Condition condition, RefusalDirection dir, float coefficient, int maxNewTokens, int[] stop,
                            int batchSize, ProgressListener progress) {
        List<int[]> ids = new ArrayList<>(prompts);
        float[] vector = dir.vector();
        int layer = dir.layer(), position = dir.position();
        List<Partial<int[]>> parts = run("completions", Completions.batches(ids, batchSize), (m, mine, sweep) -> {
            RefusalDirection d = new RefusalDirection(vector, layer, position, Map.of());
            int[][] gen = Completions.generateIds(m, ids, condition.hooks(d, coefficient), maxNewTokens, stop, batchSize, mine, ProgressListener.NONE);
            List<Partial<int[]>> out = new ArrayList<>();
            for (int i = 0; i < gen.length; i++) if (gen[i] != null) out.add(new Partial<>(i, gen[i]));
            return out;
        });
        int[][] out = new int[ids.size()][];
        for (Partial<int[]> p : parts) out[p.index()] = p.value();
        progress.done(ids.size());
        return out;
    }

    /**
     * The work of one task: the units {@code mine} accepts, computed on the executor's model, in layer
     * sweeps within {@code sweep} when the model exceeds the executor's memory limit (null: whole calls).
     */
    interface Task<T extends Serializable> extends Serializable {
        List<Partial<T>> run(Transformer model, IntPredicate mine, LayerSweep.Budget sweep);
    }

    /** One Spark job: {@code units} dealt round-robin to at most the cluster's parallelism of tasks. */
    private <T extends Serializable> List<Partial<T>> run(String stage, int units, Task<T> task) {
        int tasks = Math.max(1, Math.min(units, sc.defaultParallelism()));
        String path = modelPath, fault = failAttempts;
        Long limit = memoryLimit;
        DoubleAccumulator work = flops;
        sc.setJobDescription("refusal4j " + stage);
        try {
            return sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).flatMap(k -> {
                injectFault(fault, stage);
                IntPredicate mine = i -> i % tasks == k;
                return ExecutorModels.with(Path.of(path), m -> {
                    double before = m.flops();
                    LayerSweep.Budget sweep = MemoryLimit.sweepFor(Path.of(path), MemoryLimit.of(limit), m.config.layers,
                            Path.of(System.getProperty("java.io.tmpdir"), "refusal4j-sweep-" + ProcessHandle.current().pid()));
                    List<Partial<T>> out = task.run(m, mine, sweep);
                    work.add(m.flops() - before);
                    return out;
                }).iterator();
            }).collect();
        } catch (Exception e) { // Spark's SparkException is a checked exception that Scala throws undeclared
            throw new IllegalStateException("spark: the " + stage + " stage failed: " + reason(e), e);
        }
    }

    private static void injectFault(String spec, String stage) {
        if (spec.isEmpty()) return;
        String[] s = spec.split(":");
        int attempt = TaskContext.get().attemptNumber();
        if (s[0].equals(stage) && attempt < Integer.parseInt(s[1])) {
            throw new IllegalStateException("fault injected by " + FAIL_ATTEMPTS + "=" + spec + " into attempt " + attempt + " of a " + stage + " task");
        }
    }

    /** A failed job's cause in one line: Spark's "most recent failure" without the stack trace and exception class names. */
    static String reason(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int at = m.indexOf("most recent failure: ");
        if (at >= 0) m = m.substring(at + "most recent failure: ".length());
        int nl = m.indexOf('\n');
        if (nl >= 0) m = m.substring(0, nl);
        return m.replaceAll("(?:[\\w$]+\\.)+[\\w$]*(?:Exception|Error): ", "").strip();
    }

    @Override
    public double flops() {
        return flops.value();
    }

    @Override
    public void close() {
        sc.stop();
    }
}
