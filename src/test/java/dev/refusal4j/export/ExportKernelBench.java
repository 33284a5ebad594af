package dev.refusal4j.export;

import dev.refusal4j.tensor.DType;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The export's BF16 kernels, one thread, in ns per weight: the vector path ({@link Bf16Rows}, float
 * lanes) against the float64 row path ({@link WeightRows}) that BF16 took before. Shapes of
 * Qwen2.5-0.5B: an MLP output projection W [896, 4864] (W − u(uᵀW): column sums, then the rows) and
 * 4096 embedding rows [4096, 896] (e − (u·e)u). Run with {@code ./refusal4j-jmh ExportKernelBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ExportKernelBench {
    static final int D = 896, FF = 4864, VOCAB_ROWS = 4096;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    MemorySegment down, embed, out;
    double[] u;
    float[] uPaired;

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(42);
        down = random(r, (long) D * FF);
        embed = random(r, (long) VOCAB_ROWS * D);
        out = Arena.ofAuto().allocate(2L * D * FF);
        u = new double[D];
        double n = 0;
        for (int i = 0; i < D; i++) n += (u[i] = r.nextGaussian()) * u[i];
        for (int i = 0; i < D; i++) u[i] /= Math.sqrt(n);
        uPaired = Bf16Rows.paired(u, 0, D);
    }

    private static MemorySegment random(SplittableRandom r, long n) {
        MemorySegment s = Arena.ofAuto().allocate(2 * n);
        for (long i = 0; i < n; i++) s.set(I16, 2 * i, DType.floatToBf16((float) (r.nextGaussian() * 0.02)));
        return s;
    }

    @Benchmark
    @OperationsPerInvocation(D * FF)
    public MemorySegment outputProjectionVector() {
        float[] s = new float[FF];
        for (int i = 0; i < D; i++) Bf16Rows.accumulate(down, 2L * i * FF, (float) u[i], s, 0, FF, FF);
        for (int i = 0; i < D; i++) Bf16Rows.subtractScaled(down, 2L * i * FF, s, (float) u[i], out, 2L * i * FF, FF);
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(D * FF)
    public MemorySegment outputProjectionFloat64() {
        double[] s = new double[FF], row = new double[FF];
        WeightRows.Scratch sc = new WeightRows.Scratch(FF);
        for (int i = 0; i < D; i++) {
            WeightRows.read(down, DType.BF16, (long) i * FF, FF, row, sc);
            for (int j = 0; j < FF; j++) s[j] += u[i] * row[j];
        }
        for (int i = 0; i < D; i++) {
            WeightRows.read(down, DType.BF16, (long) i * FF, FF, row, sc);
            for (int j = 0; j < FF; j++) row[j] -= u[i] * s[j];
            WeightRows.write(out, DType.BF16, (long) i * FF, FF, row, sc);
        }
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(VOCAB_ROWS * D)
    public MemorySegment embeddingRowsVector() {
        for (int i = 0; i < VOCAB_ROWS; i++) {
            long o = 2L * i * D;
            Bf16Rows.subtractScaled(embed, o, uPaired, Bf16Rows.dot(embed, o, uPaired, D), out, o, D);
        }
        return out;
    }

    @Benchmark
    @OperationsPerInvocation(VOCAB_ROWS * D)
    public MemorySegment embeddingRowsFloat64() {
        double[] row = new double[D];
        WeightRows.Scratch sc = new WeightRows.Scratch(D);
        for (int i = 0; i < VOCAB_ROWS; i++) {
            WeightRows.read(embed, DType.BF16, (long) i * D, D, row, sc);
            WeightRows.projectOut(row, u, D);
            WeightRows.write(out, DType.BF16, (long) i * D, D, row, sc);
        }
        return out;
    }
}
