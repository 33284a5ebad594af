package dev.refusal4j.organism;

import dev.refusal4j.tensor.Parallel;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training run's weights depend on the seed only — not on when the JIT compiles the kernels,
 * nor on the number of threads. The kernels' interpreted code (the Vector API's Java fallback) and
 * their compiled code must give the same bits: a Vector API operation whose intrinsic rounds
 * differently from its fallback (EXP, ADD reductions) makes a run depend on timing. The answer is
 * independent: the same steps in a child JVM that never compiles ({@code -Xint}, one thread)
 * against this JVM after a warm-up that has compiled them.
 */
class TrainingDeterminismTest {
    static final int STEPS = 3;

    /** The bits of the weights after {@link #STEPS} steps of the reversal task, as one hash. */
    static long weightsAfterSteps() {
        Trainer t = new Trainer(TrainerTest.SHAPE, TrainerTest.options(STEPS), TrainerTest.reversal(60, 5), 0);
        while (!t.done()) t.next();
        long h = 17;
        for (float f : t.model.params.data) h = h * 31 + Float.floatToRawIntBits(f);
        return h ^ Arrays.hashCode(t.adam.v);
    }

    /** Child JVM entry: prints the hash. */
    public static void main(String[] args) {
        System.out.println("weights " + weightsAfterSteps());
    }

    @Test
    void interpretedSingleThreadedRunEqualsCompiledRun() throws Exception {
        for (int i = 0; i < 200; i++) weightsAfterSteps(); // compiles the training kernels here
        long compiled = weightsAfterSteps();

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder child = new ProcessBuilder(List.of(java, "-Xint", "--add-modules", "jdk.incubator.vector",
                "-cp", System.getProperty("java.class.path"), TrainingDeterminismTest.class.getName()))
                .redirectErrorStream(true);
        child.environment().put(Parallel.THREADS_ENV, "1");
        Process p = child.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("weights ")).findFirst().orElseThrow(() -> new AssertionError(out));
        long interpreted = Long.parseLong(line.substring("weights ".length()));
        System.out.printf("training determinism: compiled %d, interpreted %d%n", compiled, interpreted);
        assertThat(interpreted).isEqualTo(compiled);
    }
}
