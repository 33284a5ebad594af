package dev.refusal4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU's arithmetic ceiling as the Vector API reaches it, against which the effective GFLOP/s of
 * {@code run}'s stages and of {@code bench} are compared. Each thread runs twelve independent chains
 * of fused multiply-adds on the preferred vector width with no memory traffic (twelve chains cover an
 * FMA latency of four cycles on two pipes), 2 FLOPs per lane per FMA.
 *
 * <p>Prints, per round, the rate over wall time of all threads together, and each thread's rate over
 * its own CPU time. On a quiet machine the two agree (wall rate = threads × per-thread rate); on a
 * shared one the per-CPU-second rate still measures the core, which is what a CPU-time-normalized
 * rate of another program is compared with. Not a JMH benchmark for that reason: JMH reports wall time only.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp target/test-classes dev.refusal4j.bench.FmaPeak [THREADS [ROUNDS]]}
 * (after {@code ./test.sh} or {@code ./refusal4j-jmh} compiled the test classes); default 2 threads, 5 rounds of ~1 s.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int STEPS = 1 << 12, CHAINS = 12;

    private FmaPeak() {}

    /** {@code reps} blocks of STEPS FMAs on each of the twelve chains; returns a value that keeps the work alive. */
    static float chains(long reps, float a, float b) {
        FloatVector x = FloatVector.broadcast(S, a), y = FloatVector.broadcast(S, b);
        FloatVector c0 = FloatVector.broadcast(S, 1f), c1 = c0.add(y), c2 = c1.add(y), c3 = c2.add(y), c4 = c3.add(y), c5 = c4.add(y),
                c6 = c5.add(y), c7 = c6.add(y), c8 = c7.add(y), c9 = c8.add(y), c10 = c9.add(y), c11 = c10.add(y);
        for (long r = 0; r < reps; r++) {
            // written out, not looped over an array: twelve locals stay in registers, as independent
            // chains must for the FMA units to overlap them
            for (int i = 0; i < STEPS; i++) {
                c0 = c0.fma(x, y);
                c1 = c1.fma(x, y);
                c2 = c2.fma(x, y);
                c3 = c3.fma(x, y);
                c4 = c4.fma(x, y);
                c5 = c5.fma(x, y);
                c6 = c6.fma(x, y);
                c7 = c7.fma(x, y);
                c8 = c8.fma(x, y);
                c9 = c9.fma(x, y);
                c10 = c10.fma(x, y);
                c11 = c11.fma(x, y);
            }
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).reduceLanes(VectorOperators.ADD);
    }

    static double flops(long reps) {
        return 2.0 * S.length() * CHAINS * STEPS * reps;
    }

    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2, rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        // a = 0.999, b = 1e-4: the chains settle near 0.1, neither overflowing nor vanishing
        float sink = 0;
        for (int i = 0; i < 2_000; i++) sink += chains(5, 0.999f, 1e-4f); // warm-up: C2 compiles chains whole, not only its loop
        final int calls = 2_000, reps = 10; // 2 000 x 10 x 1.6 MFLOP (512-bit vectors): ~0.4 s at 80 GFLOP/s
        System.out.printf(Locale.ROOT, "%d-bit vectors (%d floats), %d threads, %d FMA chains each%n", S.vectorBitSize(), S.length(), threads, CHAINS);
        for (int round = 1; round <= rounds; round++) {
            double[] perCpu = new double[threads];
            float[] out = new float[threads];
            Thread[] ts = new Thread[threads];
            long t0 = System.nanoTime();
            for (int t = 0; t < threads; t++) {
                int k = t;
                ts[t] = new Thread(() -> {
                    long c0 = mx.getCurrentThreadCpuTime();
                    float v = 0;
                    for (int c = 0; c < calls; c++) v += chains(reps, 0.999f, 1e-4f);
                    out[k] = v;
                    perCpu[k] = flops(reps) * calls / ((mx.getCurrentThreadCpuTime() - c0) * 1e-9) / 1e9;
                });
                ts[t].start();
            }
            for (Thread t : ts) t.join();
            double wall = (System.nanoTime() - t0) * 1e-9;
            for (float v : out) sink += v;
            StringBuilder sb = new StringBuilder();
            for (double p : perCpu) sb.append(String.format(Locale.ROOT, " %.1f", p));
            System.out.printf(Locale.ROOT, "round %d: %.1f GFLOP/s over wall time (%.2f s); per thread over its CPU time:%s GFLOP/s%n",
                    round, flops(reps) * calls * threads / wall / 1e9, wall, sb);
        }
        if (sink == 42f) System.out.println(); // keeps the results observable
    }
}
