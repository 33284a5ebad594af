package dev.refusal4j.fuzz;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The property every reader must keep on any input: it returns a value, or throws one of the
 * error types it documents with a one-line message naming the file. Anything else is a defect:
 * another exception type (NullPointerException, ArrayIndexOutOfBounds, NegativeArraySize,
 * ClassCast, ...), an Error (OutOfMemoryError, StackOverflowError), a message without the file,
 * a reader that runs past {@link #TIME_LIMIT_MS} or allocates more than {@link #ALLOCATION_LIMIT}.
 *
 * <p>The reader runs in its own thread so that a hang is caught, and that thread's allocated
 * bytes measure its memory: the test JVM's heap is large (-Xmx8g), so an allocation that would
 * exhaust a user's heap must be caught by counting, not by waiting for an OutOfMemoryError.
 */
final class Hostile {
    private Hostile() {}

    /** Time one read may take: generous for 2 shared cores, far below a hang. */
    static final long TIME_LIMIT_MS = 10_000;
    /** Bytes one read may allocate: the seed files are at most a few MB, so this is 100x their size. */
    static final long ALLOCATION_LIMIT = 400L << 20;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** What a read ended with: the value, or the documented error. */
    record Outcome<T>(T value, Exception error) {}

    /**
     * Runs {@code reader} and checks the property; {@code named} is the file the message must name
     * (the damaged file), {@code allowed} the documented error types.
     */
    @SafeVarargs
    static <T> Outcome<T> read(Path named, Callable<T> reader, Class<? extends Exception>... allowed) {
        return read(List.of(named.getFileName().toString()), reader, allowed);
    }

    /** Like {@link #read(Path, Callable, Class[])}; the message must contain one of {@code names}. */
    @SafeVarargs
    static <T> Outcome<T> read(List<String> names, Callable<T> reader, Class<? extends Exception>... allowed) {
        return read(ALLOCATION_LIMIT, names, reader, allowed);
    }

    /**
     * Like {@link #read(List, Callable, Class[])} with another allocation budget: a template that
     * loops until the engine's step limit allocates gigabytes of short-lived garbage without ever
     * holding much (the command-line test runs it in a 256 MB heap).
     */
    @SafeVarargs
    static <T> Outcome<T> read(long allocationLimit, List<String> names, Callable<T> reader, Class<? extends Exception>... allowed) {
        long[] allocated = new long[1];
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread worker = Thread.ofPlatform().daemon().name("hostile-reader").start(() -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                result.complete(reader.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            } finally {
                allocated[0] = THREADS.getCurrentThreadAllocatedBytes() - before;
            }
        });
        Throwable thrown;
        try {
            T value = result.get(TIME_LIMIT_MS, TimeUnit.MILLISECONDS);
            join(worker);
            checkAllocation(allocated[0], allocationLimit, null);
            return new Outcome<>(value, null);
        } catch (TimeoutException e) {
            worker.interrupt();
            throw new AssertionError("did not finish within " + TIME_LIMIT_MS + " ms (a hang or a quadratic path)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            thrown = e.getCause();
        }
        join(worker);
        checkAllocation(allocated[0], allocationLimit, thrown);
        for (Class<? extends Exception> c : allowed) {
            if (c.isInstance(thrown)) {
                String msg = thrown.getMessage();
                if (msg == null || names.stream().noneMatch(msg::contains)) {
                    throw new AssertionError("message does not name the file " + names + ": " + msg, thrown);
                }
                if (msg.contains("\n")) throw new AssertionError("message is not one line: " + msg, thrown);
                return new Outcome<>(null, (Exception) thrown);
            }
        }
        throw new AssertionError("undocumented " + thrown.getClass().getName() + ": " + thrown.getMessage(), thrown);
    }

    private static void join(Thread worker) {
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void checkAllocation(long bytes, long limit, Throwable thrown) {
        if (bytes > limit) {
            throw new AssertionError("allocated " + (bytes >> 20) + " MB (limit " + (limit >> 20) + " MB)", thrown);
        }
    }
}
