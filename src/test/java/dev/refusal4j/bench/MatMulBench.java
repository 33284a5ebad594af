package dev.refusal4j.bench;

import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.MatMul;
import dev.refusal4j.tensor.Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link MatMul#matmul} on the linear layers of Qwen2.5-0.5B (hidden 896, MLP 4864, vocabulary
 * 151936), for decode (M = 1) and prefill (M = 32, 512). The secondary result {@code gflops}
 * is the arithmetic rate, 2·M·N·K per call, in GFLOP/s; {@code GB/s of weights} follows as
 * gflops / (2 M) · bytes per weight. Run with {@code ./refusal4j-jmh} (see its header).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx12g"})
public class MatMulBench {
    @Param({"1", "32", "512"})
    public int M;

    /** N x K of w: q/o projections, gate/up, down, lm_head. */
    @Param({"896x896", "4864x896", "896x4864", "151936x896"})
    public String shape;

    @Param({"F32", "BF16"})
    public String dtype;

    private Arena arena;
    private Matrix w;
    private float[] x, y;
    private long flopsPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] nk = shape.split("x");
        int n = Integer.parseInt(nk[0]), k = Integer.parseInt(nk[1]);
        DType t = DType.valueOf(dtype);
        arena = Arena.ofShared();
        if (t.quantized()) { // random blocks (-p dtype=Q8_0,Q4_0,Q4_K,Q6_K)
            w = dev.refusal4j.testutil.RandomBlocks.matrix(t, n, k, 0.02, 42);
            x = new float[M * k];
            SplittableRandom r = new SplittableRandom(43);
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() - 0.5);
            y = new float[Math.multiplyExact(M, n)];
            flopsPerCall = 2L * M * n * k;
            return;
        }
        MemorySegment seg = arena.allocate(n * t.bytes(k), 64);
        SplittableRandom rnd = new SplittableRandom(42);
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < (long) n * k; i++) {
            float v = (float) (rnd.nextDouble() - 0.5) * 0.1f;
            switch (t) {
                case F32 -> seg.setAtIndex(f32, i, v);
                case BF16 -> seg.setAtIndex(i16, i, DType.floatToBf16(v));
                case F16 -> seg.setAtIndex(i16, i, DType.floatToF16(v));
                default -> throw new AssertionError(t);
            }
        }
        w = new Matrix(seg, t, n, k);
        x = new float[M * k];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
        y = new float[Math.multiplyExact(M, n)];
        flopsPerCall = 2L * M * n * k;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Reported per second: GFLOP done, i.e. GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rate {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Benchmark
    public float[] matmul(Rate rate) {
        MatMul.matmul(x, 0, M, w, y, 0);
        rate.gflops += flopsPerCall * 1e-9;
        return y;
    }
}
