package dev.refusal4j.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges across the CPU cores: THREADS - 1 daemon workers plus the calling thread.
 * THREADS is the environment variable {@code REFUSAL4J_THREADS}, or the number of available
 * processors; it is read once, before the first kernel runs.
 *
 * <p>Why not a ForkJoinPool: a decode step makes a few hundred calls of some tens of microseconds
 * each, and waking a parked pool thread costs about as much. Workers here spin briefly after each
 * job before parking, so consecutive calls find them awake, and then park so that an idle process
 * leaves a shared machine's cores alone; chunks are claimed from a shared counter so uneven chunks
 * balance out. A call made while another is running (nested, or from a second thread) runs inline.
 */
public final class Parallel {
    /** The environment variable that sets the number of threads. */
    public static final String THREADS_ENV = "REFUSAL4J_THREADS";
    public static final int THREADS = threadsFromEnvironment();
    private static final long SPIN_NANOS = 50_000;
    private static final Pool POOL = THREADS <= 1 ? null : new Pool(THREADS - 1);

    private Parallel() {}

    private static int threadsFromEnvironment() {
        int available = Math.max(1, Runtime.getRuntime().availableProcessors());
        try {
            return threads(System.getenv(THREADS_ENV), available);
        } catch (IllegalArgumentException e) { // a class initializer cannot fail cleanly: say so and go on
            System.err.println("refusal4j: " + e.getMessage() + "; using " + available);
            return available;
        }
    }

    /** {@code setting} (the environment variable's value) as a thread count; unset or blank: {@code available}. */
    static int threads(String setting, int available) {
        if (setting == null || setting.isBlank()) return available;
        try {
            int n = Integer.parseInt(setting.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(THREADS_ENV + "=" + setting + " is not a number of threads (a whole number, at least 1)");
    }

    /** Body over a half-open range [from, to). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    /**
     * Runs body over [0, n) split into contiguous chunks, each at least {@code grain} long, up to
     * sixteen per thread: when a core is taken away (a shared machine), the others claim the
     * remaining chunks, and only the one chunk in flight on the slow core is waited for.
     * Runs inline when the work is small.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        int chunks = Math.min(THREADS * 16, Math.max(1, n / Math.max(1, grain)));
        if (POOL == null || chunks <= 1 || !POOL.tryRun(body, n, chunks)) body.run(0, n);
    }

    /** One forRange call: chunks are claimed through {@code next}, finished ones counted in {@code done}. */
    private static final class Job {
        final RangeBody body;
        final int n, chunks;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeBody body, int n, int chunks) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
        }

        void work() {
            for (int c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private static final class Pool {
        private final AtomicBoolean busy = new AtomicBoolean();
        private final Worker[] workers;
        private volatile Job job;

        Pool(int size) {
            workers = new Worker[size];
            for (int i = 0; i < size; i++) {
                workers[i] = new Worker();
                Thread t = Thread.ofPlatform().daemon().name("refusal4j-worker-" + i).unstarted(workers[i]);
                workers[i].thread = t;
                t.start();
            }
        }

        boolean tryRun(RangeBody body, int n, int chunks) {
            // Workers only ever run bodies while busy is set, so a nested call from a body lands here too.
            if (!busy.compareAndSet(false, true)) return false;
            try {
                Job j = new Job(body, n, chunks);
                job = j;
                for (Worker w : workers) if (w.parked) LockSupport.unpark(w.thread);
                j.work();
                // A worker may have been preempted holding a chunk: spin briefly, then yield this core.
                for (int spins = 0; j.done.get() < chunks; spins++) {
                    if (spins < 2000) Thread.onSpinWait();
                    else Thread.yield();
                }
                Throwable f = j.failure;
                if (f instanceof RuntimeException e) throw e;
                if (f instanceof Error e) throw e;
                if (f != null) throw new RuntimeException(f);
                return true;
            } finally {
                busy.set(false);
            }
        }

        private final class Worker implements Runnable {
            Thread thread;
            volatile boolean parked;

            @Override
            public void run() {
                Job seen = null;
                while (true) {
                    Job j = job;
                    long spinStart = System.nanoTime();
                    while (j == seen) {
                        long idle = System.nanoTime() - spinStart;
                        if (idle < SPIN_NANOS) {
                            // Stay awake for the next call, but let other runnable threads have the core.
                            if (idle < 20_000) Thread.onSpinWait();
                            else Thread.yield();
                        } else {
                            parked = true;
                            if (job == seen) LockSupport.park(this);
                            parked = false;
                            spinStart = System.nanoTime();
                        }
                        j = job;
                    }
                    seen = j;
                    j.work();
                }
            }
        }
    }
}
