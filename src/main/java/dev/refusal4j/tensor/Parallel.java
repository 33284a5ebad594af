package dev.refusal4j.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits index ranges across the CPU cores: THREADS - 1 daemon workers plus the calling thread,
 * sized by {@code -Drefusal4j.threads=N} or the number of available processors.
 *
 * <p>Why not a ForkJoinPool: a decode step makes a few hundred calls of some tens of microseconds
 * each, and waking a parked pool thread costs about as much. Workers here spin briefly after each
 * job before parking ({@code -Drefusal4j.spinMicros}, default 50: longer suits back-to-back decode
 * calls on an idle machine, shorter wastes less of a shared one), so consecutive calls find them
 * awake; chunks are claimed from a shared counter so uneven chunks balance out. A call made while
 * another is running (nested, or from a second thread) runs inline.
 */
public final class Parallel {
    public static final int THREADS = Math.max(1, Integer.getInteger("refusal4j.threads", Runtime.getRuntime().availableProcessors()));
    private static final long SPIN_NANOS = 1000L * Integer.getInteger("refusal4j.spinMicros", 50);
    private static final Pool POOL = THREADS <= 1 ? null : new Pool(THREADS - 1);

    private Parallel() {}

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
