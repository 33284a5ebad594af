package dev.refusal4j.intervene;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Two direct output buffers and one writer thread, so that the next row block is computed while the
 * previous one is written. Writes reach the channel in submission order; {@link #drain()} must be
 * called before anything else writes to the same channel.
 */
final class WriteBehind implements AutoCloseable {
    private final ByteBuffer[] buffers = new ByteBuffer[2];
    private final Future<?>[] pending = new Future<?>[2];
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "refusal4j-export-writer");
        t.setDaemon(true);
        return t;
    });
    private int next;

    WriteBehind(int capacity) {
        for (int i = 0; i < 2; i++) buffers[i] = ByteBuffer.allocateDirect(capacity);
    }

    int capacity() {
        return buffers[0].capacity();
    }

    /** The buffer to fill next, once its previous write has finished. */
    ByteBuffer acquire() throws IOException {
        await(next);
        return buffers[next];
    }

    /** Queues the first {@code n} bytes of the acquired buffer for writing to {@code out}. */
    void submit(FileChannel out, int n) {
        ByteBuffer bb = buffers[next].duplicate().position(0).limit(n);
        pending[next] = writer.submit(() -> {
            while (bb.hasRemaining()) out.write(bb);
            return null;
        });
        next ^= 1;
    }

    /** Waits for every queued write; rethrows the first failure. */
    void drain() throws IOException {
        int first = next;
        await(first ^ 1);
        await(first);
    }

    /** Waits for queued writes, ignoring their failures (an earlier error is already on its way). */
    void drainQuietly() {
        try {
            drain();
        } catch (IOException ignored) {
            // the caller is already failing
        }
    }

    private void await(int i) throws IOException {
        Future<?> f = pending[i];
        if (f == null) return;
        pending[i] = null;
        try {
            f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException("writing the export failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing the export");
        }
    }

    @Override
    public void close() {
        drainQuietly();
        writer.shutdown();
    }
}
