package dev.refusal4j.spark;

import dev.refusal4j.model.Transformer;
import org.apache.spark.SparkEnv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Function;

/**
 * The models of one executor JVM, loaded (memory-mapped) once and kept for its later tasks. A task
 * borrows one instance for itself: a forward pass is not shared between threads, and the mapped
 * weights of two instances are the same pages of the page cache.
 */
final class ExecutorModels {
    private static final Map<Path, ConcurrentLinkedDeque<Transformer>> IDLE = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /** Runs {@code work} on a model read from {@code path}, which this node must see. */
    static <T> T with(Path path, Function<Transformer, T> work) {
        ConcurrentLinkedDeque<Transformer> idle = IDLE.computeIfAbsent(path, p -> new ConcurrentLinkedDeque<>());
        Transformer m = idle.pollFirst();
        if (m == null) m = load(path);
        try {
            return work.apply(m);
        } finally {
            idle.addFirst(m);
        }
    }

    private static Transformer load(Path path) {
        if (!Files.exists(path)) {
            throw new IllegalStateException("executor " + executor() + " cannot see the model at " + path
                    + ": every executor reads it at that path (a shared file system, or a copy on each node; --spark-model names it)");
        }
        try {
            return Transformer.load(path);
        } catch (IOException e) {
            throw new UncheckedIOException("executor " + executor() + " cannot read the model at " + path + ": " + e.getMessage(), e);
        }
    }

    /** This executor as a message names it: its id and host. */
    static String executor() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        SparkEnv env = SparkEnv.get();
        return (env == null ? "?" : env.executorId()) + " on " + host;
    }
}
