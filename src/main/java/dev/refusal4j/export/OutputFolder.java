package dev.refusal4j.export;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.io.OutputPaths;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The output model folder of an export, written as a temporary sibling and renamed into place only
 * by {@link #commit()}. Until then the destination is untouched; {@link #close()} without a commit
 * (an error) and a JVM shutdown (Ctrl-C, SIGTERM) remove the temporary folder, so an interrupted
 * export leaves nothing behind.
 *
 * <p>A process killed outright (SIGKILL, a crash, power loss) runs no cleanup, so the temporary
 * folder {@code .NAME.partial-*} holds an OS file lock on a sibling {@code .NAME.partial-*.lock}
 * for as long as its export runs; the OS drops the lock with the process. The next export of the
 * same target removes every such folder whose lock it can take (its process is gone), and one
 * without a lock file (from an older version) once it is an hour old.
 */
final class OutputFolder implements AutoCloseable {
    final Path target; // where the model ends up (absolute, symlinks of existing parts resolved)
    final Path temp;   // the sibling being written
    private final Path createdParent; // the top folder prepare() had to create, or null
    private final Runnable onInterrupt;
    private final FileChannel lockChannel; // holds the lock on lockFile() while the export runs
    /** Stale partial folders of earlier, killed exports of the same target that prepare() removed. */
    final List<Path> removedStale;
    private final CountDownLatch released = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean committed;

    private OutputFolder(Path target, Path temp, Path createdParent, Runnable onInterrupt, FileChannel lockChannel, List<Path> removedStale) {
        this.target = target;
        this.temp = temp;
        this.createdParent = createdParent;
        this.onInterrupt = onInterrupt;
        this.lockChannel = lockChannel;
        this.removedStale = removedStale;
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
        List<Path> stale = removeStalePartials(target);
        Path temp = AtomicFiles.newPartialFolder(target);
        FileChannel lock;
        try {
            lock = FileChannel.open(lockFile(temp), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            if (lock.tryLock() == null) throw new IOException("cannot lock " + lockFile(temp));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(lockFile(temp));
            AtomicFiles.deleteRecursively(temp);
            throw e;
        }
        OutputFolder f = new OutputFolder(target, temp, createdParent, onInterrupt, lock, stale);
        Runtime.getRuntime().addShutdownHook(f.hook);
        return f;
    }

    private static Path lockFile(Path temp) {
        return temp.resolveSibling(temp.getFileName() + ".lock");
    }

    /** How old a partial folder without a lock file (written by an older version) must be to count as stale. */
    static final Duration UNLOCKED_STALE_AFTER = Duration.ofHours(1);

    /**
     * Removes the partial folders of earlier exports of {@code target} whose process is gone: those
     * whose lock this process can take, and those without a lock file that have not changed for
     * {@link #UNLOCKED_STALE_AFTER}. A folder whose export still runs keeps its lock and is left.
     */
    static List<Path> removeStalePartials(Path target) throws IOException {
        String prefix = AtomicFiles.partialFolderPrefix(target);
        List<Path> candidates;
        try (var s = Files.list(target.getParent())) {
            candidates = s.filter(p -> p.getFileName().toString().startsWith(prefix) && !p.getFileName().toString().endsWith(".lock")
                    && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        List<Path> removed = new ArrayList<>();
        for (Path p : candidates) {
            Path lockFile = lockFile(p);
            if (!Files.exists(lockFile, LinkOption.NOFOLLOW_LINKS)) {
                FileTime changed = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
                if (changed.toInstant().plus(UNLOCKED_STALE_AFTER).isBefore(Instant.now())) {
                    AtomicFiles.deleteRecursively(p);
                    removed.add(p);
                }
                continue;
            }
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE); FileLock held = tryLock(ch)) {
                if (held == null) continue; // its export is still running
                AtomicFiles.deleteRecursively(p);
                Files.deleteIfExists(lockFile);
                removed.add(p);
            } catch (java.nio.file.NoSuchFileException finishedMeanwhile) {
                // its export committed or cleaned up between the listing and here
            }
        }
        return removed;
    }

    /** The lock, or null when another process, or another export of this one, holds it. */
    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException heldByThisProcess) {
            return null;
        }
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
        releaseLock();
        if (old != null) AtomicFiles.deleteRecursively(old);
    }

    /** Drops the lock and its file (after the rename or the removal of the folder it guards). */
    private void releaseLock() throws IOException {
        if (lockChannel.isOpen()) lockChannel.close();
        Files.deleteIfExists(lockFile(temp));
    }

    @Override
    public void close() throws IOException {
        try {
            if (!committed) {
                AtomicFiles.deleteRecursively(temp);
                releaseLock();
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
                releaseLock();
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
