package dev.refusal4j.export;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.io.OutputPaths;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The output model folder of an export, written as a temporary sibling and renamed into place only
 * by {@link #commit()}. Until then the destination is untouched; {@link #close()} without a commit
 * (an error) and a JVM shutdown (Ctrl-C, SIGTERM) remove the temporary folder, so an interrupted
 * export leaves nothing behind.
 */
final class OutputFolder implements AutoCloseable {
    final Path target; // where the model ends up (absolute, symlinks of existing parts resolved)
    final Path temp;   // the sibling being written
    private final Path createdParent; // the top folder prepare() had to create, or null
    private final Runnable onInterrupt;
    private final CountDownLatch released = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean committed;

    private OutputFolder(Path target, Path temp, Path createdParent, Runnable onInterrupt) {
        this.target = target;
        this.temp = temp;
        this.createdParent = createdParent;
        this.onInterrupt = onInterrupt;
        this.hook = new Thread(this::interrupted, "refusal4j-export-cleanup");
    }

    /**
     * Checks that {@code out} may receive an export of {@code input} and creates the temporary
     * sibling. Refuses an output that is the input, lies inside it or contains it, an existing file,
     * and an existing non-empty folder unless {@code force}.
     *
     * @param onInterrupt called first when the JVM shuts down mid-export (e.g. to stop the writer)
     */
    static OutputFolder prepare(Path input, Path out, boolean force, Runnable onInterrupt) throws IOException {
        OutputPaths.refuseInputs("output folder", out, OutputPaths.input("model folder", input));
        Path target = OutputPaths.resolveExisting(out);
        if (target.getParent() == null) throw new IllegalArgumentException("output folder " + out + " is a file-system root");
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) throw new IllegalArgumentException("output " + out + " exists and is not a folder");
            boolean empty;
            try (var s = Files.list(target)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !force) throw new IllegalArgumentException("output folder " + out + " exists and is not empty (use --force to replace it)");
        }
        Path createdParent = null;
        for (Path p = target.getParent(); p != null && !Files.exists(p); p = p.getParent()) createdParent = p;
        Files.createDirectories(target.getParent());
        Path temp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".partial-");
        OutputFolder f = new OutputFolder(target, temp, createdParent, onInterrupt);
        Runtime.getRuntime().addShutdownHook(f.hook);
        return f;
    }

    /** Moves the finished temporary folder to the target, replacing an existing target. */
    void commit() throws IOException {
        Path parent = target.getParent();
        Path old = null;
        if (Files.exists(target)) {
            old = parent.resolve("." + target.getFileName() + ".replaced-" + Long.toHexString(System.nanoTime()));
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (old != null) Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
        }
        committed = true;
        if (old != null) AtomicFiles.deleteRecursively(old);
    }

    @Override
    public void close() throws IOException {
        try {
            if (!committed) {
                AtomicFiles.deleteRecursively(temp);
                removeCreatedParents();
            }
        } finally {
            released.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to; it finds the folder already gone
            }
        }
    }

    private void interrupted() {
        if (committed) return;
        onInterrupt.run();
        try {
            released.await(10, TimeUnit.SECONDS); // let the writer unwind and clean up itself
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
        try {
            if (!committed) {
                AtomicFiles.deleteRecursively(temp);
                removeCreatedParents();
            }
        } catch (IOException e) {
            System.err.println("refusal4j: could not remove the partial export " + temp + ": " + e.getMessage());
        }
    }

    /** Removes the (now empty) parent folders that prepare() created for the output. */
    private void removeCreatedParents() throws IOException {
        if (createdParent == null) return;
        for (Path p = target.getParent(); p != null && p.startsWith(createdParent); p = p.getParent()) {
            try (var s = Files.list(p)) {
                if (s.findAny().isPresent()) return;
            }
            Files.delete(p);
        }
    }
}
