package dev.refusal4j.export;

import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Parallel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * One output tensor streamed from an input file: copied byte for byte (the kernel's
 * copy_file_range, no user-space buffer), or orthogonalized in row blocks of about {@link #BLOCK}
 * bytes that each thread computes and writes at their place in the file. Input windows of about
 * {@link #WINDOW} bytes are mapped one at a time and unmapped after use, so the resident memory
 * stays bounded by the window and the block buffers whatever the tensor size.
 */
final class StreamedTensor implements SafetensorsWriter.Source {
    static final long WINDOW = 32L << 20; // input bytes mapped at a time
    /**
     * Output bytes a thread computes and then writes itself (pwrite): few enough to be still in that
     * core's cache when write(2) copies them into the page cache, which from large buffers handed to
     * a writer thread costs several times the system time.
     */
    static final int BLOCK = 256 << 10;
    /** Output bytes between background flushes (see {@link Counter#flushInBackground}). */
    static final long FLUSH_EVERY = 64L << 20;
    private static final ThreadLocal<ByteBuffer> BLOCK_BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(BLOCK));

    /** The output bytes written so far across the tensors of one export, told to its listener; also its cancel flag. */
    static final class Counter {
        final ProgressListener listener;
        long done;
        volatile boolean cancelled;

        Counter(ProgressListener listener) {
            this.listener = listener;
        }

        /** Bytes written to the output since the last background flush began. */
        private long unflushed;
        private final java.util.concurrent.atomic.AtomicBoolean flushing = new java.util.concurrent.atomic.AtomicBoolean();

        /**
         * Every {@link #FLUSH_EVERY} bytes written, starts writing the file's dirty pages to disk on
         * another thread (one flush at a time), so that the disk works while the export copies and
         * computes and the fsync before the rename finds only the last bytes left. A failure here is
         * ignored: that final fsync reports any real write error.
         */
        private void flushInBackground(FileChannel out, long bytes) {
            unflushed += bytes;
            if (unflushed < FLUSH_EVERY || !flushing.compareAndSet(false, true)) return;
            unflushed = 0;
            Thread.ofPlatform().daemon().name("refusal4j-export-flush").start(() -> {
                try {
                    out.force(false);
                } catch (IOException closedOrFailed) {
                    // the file was finished and closed meanwhile, or its final fsync reports the error
                } finally {
                    flushing.set(false);
                }
            });
        }

        void advance(FileChannel out, long bytes) throws IOException {
            if (cancelled) throw new java.io.InterruptedIOException("export cancelled");
            flushInBackground(out, bytes);
            done += bytes;
            listener.done(done);
        }
    }

    private final String name;
    private final java.nio.file.Path file; // the input file, for messages
    private final String dtypeName;
    private final long[] shape;
    private final FileChannel in;
    private final long offset;        // absolute file offset of the input tensor's first byte
    private final OrthogonalPlan.Target target; // null: copy unchanged
    private final Counter progress;

    StreamedTensor(String name, java.nio.file.Path file, String dtypeName, long[] shape, FileChannel in, long offset,
                   OrthogonalPlan.Target target, Counter progress) {
        this.name = name;
        this.file = file;
        this.dtypeName = dtypeName;
        this.shape = shape;
        this.in = in;
        this.offset = offset;
        this.target = target;
        this.progress = progress;
    }

    public String name() { return name; }

    public String dtype() { return dtypeName; }

    public long[] shape() { return shape; }

    /**
     * Copies first, then the output projections, then the embedding rows: the copies leave time to
     * compile the kernels (see {@link Bf16Rows#warmUp}), the many small projections finish that, and
     * the largest tensor runs compiled.
     */
    @Override
    public int writeOrder() {
        return target == null ? 0 : target.kind() == OrthogonalPlan.Kind.ROWS ? 2 : 1;
    }

    @Override
    public void writeTo(FileChannel out) throws IOException {
        if (target == null) copy(out);
        else project(out);
    }

    /** The kernel's copy_file_range: no user-space copy and no mapping (as cp does). */
    private void copy(FileChannel out) throws IOException {
        long n = byteSize();
        for (long done = 0; done < n; ) {
            long step = Math.min(n - done, WINDOW);
            for (long moved = 0; moved < step; ) moved += in.transferTo(offset + done + moved, step - moved, out);
            done += step;
            progress.advance(out, step);
        }
    }

    private void project(FileChannel out) throws IOException {
        DType dt = DType.fromSafetensors(dtypeName);
        if (dt == null) throw new IOException("tensor '" + name + "' has dtype " + dtypeName + "; orthogonalization supports F32, BF16, F16");
        int rows = shape.length == 1 ? 1 : Math.toIntExact(shape[0]);
        int cols = Math.toIntExact(shape[shape.length - 1]);
        double[] u = target.unit();
        int projected = target.kind() == OrthogonalPlan.Kind.OUTPUT ? rows : cols;
        if (u.length != projected) throw new IOException("tensor '" + name + "' " + java.util.Arrays.toString(shape) + " does not match the direction's " + u.length + " dimensions");
        long rowBytes = dt.bytes(cols);
        int blockRows = (int) Math.max(1, Math.min(rows, BLOCK / rowBytes)); // a longer row is a block of its own
        int windowRows = (int) Math.min(rows, Math.max(1, WINDOW / rowBytes / blockRows) * blockRows);
        boolean outputProjection = target.kind() == OrthogonalPlan.Kind.OUTPUT;
        // BF16 (the common case) in float lanes; F32 needs float64 sums to stay within its own rounding
        boolean bf16 = dt == DType.BF16;
        double[] colSums = outputProjection && !bf16 ? columnSums(dt, rows, cols, u, windowRows) : null;
        float[] paired = !bf16 ? null : outputProjection ? bf16ColumnSums(rows, cols, u, windowRows) : Bf16Rows.paired(u, 0, cols);
        // uᵀW is finite exactly when W is: one NaN would otherwise spread over its whole column
        if (colSums != null && !allFinite(colSums) || outputProjection && bf16 && !Bf16Rows.allFinite(paired)) throw notFinite(dt, rows, cols);
        long base = out.position();
        for (int w0 = 0; w0 < rows; w0 += windowRows) {
            final int wn = Math.min(windowRows, rows - w0), first = w0;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment window = in.map(FileChannel.MapMode.READ_ONLY, offset + w0 * rowBytes, wn * rowBytes, arena);
                Parallel.forRange((wn + blockRows - 1) / blockRows, 1, (b0, b1) -> {
                    ByteBuffer buf = blockBuffer(blockRows * rowBytes);
                    MemorySegment dst = MemorySegment.ofBuffer(buf.clear()); // all of it, before any limit is set for a write
                    for (int b = b0; b < b1; b++) {
                        int r0 = b * blockRows, n = Math.min(blockRows, wn - r0);
                        MemorySegment src = window.asSlice(r0 * rowBytes, n * rowBytes);
                        boolean finite = bf16 ? projectBf16Rows(src, first + r0, n, cols, u, paired, outputProjection, dst)
                                : projectRows(src, dt, first + r0, n, cols, u, colSums, dst);
                        if (!finite) throw notFinite(dt, rows, cols);
                        writeFully(out, buf.clear().limit((int) (n * rowBytes)), base + (first + r0) * rowBytes);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            progress.advance(out, wn * rowBytes);
        }
        out.position(base + rows * rowBytes);
    }

    /** This thread's block buffer, grown for a row longer than {@link #BLOCK}. */
    private static ByteBuffer blockBuffer(long bytes) {
        ByteBuffer b = BLOCK_BUFFER.get();
        if (b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(Math.toIntExact(bytes));
            BLOCK_BUFFER.set(b);
        }
        return b;
    }

    private static void writeFully(FileChannel out, ByteBuffer b, long position) {
        try {
            while (b.hasRemaining()) position += out.write(b, position);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rows [first, first + n) of the tensor (src holds exactly them), orthogonalized into dst;
     * false when a row that loses its (u·row) u component holds a NaN or Inf (then u·row, and so
     * the row's first output, is not finite).
     */
    private static boolean projectRows(MemorySegment src, DType dt, int first, int n, int cols, double[] u, double[] colSums, MemorySegment dst) {
        double[] row = new double[cols];
        WeightRows.Scratch sc = new WeightRows.Scratch(cols);
        for (int i = 0; i < n; i++) {
            WeightRows.read(src, dt, (long) i * cols, cols, row, sc);
            if (colSums == null) {
                WeightRows.projectOut(row, u, cols);
                if (!Double.isFinite(row[0])) return false;
            } else {
                double ui = u[first + i];
                for (int j = 0; j < cols; j++) row[j] -= ui * colSums[j];
            }
            WeightRows.write(dst, dt, (long) i * cols, cols, row, sc);
        }
        return true;
    }

    /**
     * BF16 rows [first, first + n) (src holds exactly them) orthogonalized into dst in float lanes
     * (see {@link Bf16Rows}); false as {@link #projectRows}. An output projection's uᵀW (paired) has
     * been checked finite.
     */
    private static boolean projectBf16Rows(MemorySegment src, int first, int n, int cols, double[] u, float[] paired, boolean output, MemorySegment dst) {
        long rowBytes = 2L * cols;
        for (int i = 0; i < n; i++) {
            long o = i * rowBytes;
            if (output) Bf16Rows.subtractScaled(src, o, paired, (float) u[first + i], dst, o, cols); // row i loses u_i (uᵀW)
            else {
                Bf16Rows.projectRow(src, o, paired, dst, o, cols); // embedding row: loses (u·row) u
                float firstOut = Float.intBitsToFloat(dst.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), o) << 16);
                if (!Float.isFinite(firstOut)) return false;
            }
        }
        return true;
    }

    private static boolean allFinite(double[] v) {
        for (double x : v) if (!Double.isFinite(x)) return false;
        return true;
    }

    /**
     * The error for a matrix that holds a NaN or Inf, naming the tensor, its file and the first
     * such element (found by a scan of the input, on this failure path only).
     */
    private ModelFormatException notFinite(DType dt, int rows, int cols) {
        long rowBytes = dt.bytes(cols);
        double[] row = new double[cols];
        WeightRows.Scratch sc = new WeightRows.Scratch(cols);
        String where = "a value too large to project";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = in.map(FileChannel.MapMode.READ_ONLY, offset, rows * rowBytes, arena);
            search:
            for (int r = 0; r < rows; r++) {
                WeightRows.read(all, dt, (long) r * cols, cols, row, sc);
                for (int c = 0; c < cols; c++) {
                    if (!Double.isFinite(row[c])) {
                        where = (float) row[c] + " at " + (shape.length == 1 ? "[" + c + "]" : "[" + r + ", " + c + "]");
                        break search;
                    }
                }
            }
        } catch (IOException e) {
            where = "a NaN or Inf";
        }
        return new ModelFormatException(file, "tensor '" + name + "' holds " + where + "; abliterate does not edit a matrix "
                + "with NaN or Inf values (forward --validate lists the model's first one)");
    }

    /** uᵀW of a BF16 matrix in float, paired; summed in row order (threads split the columns). */
    private float[] bf16ColumnSums(int rows, int cols, double[] u, int blockRows) throws IOException {
        float[] s = new float[cols];
        long rowBytes = 2L * cols;
        int blocks = (cols + Bf16Rows.BLOCK - 1) / Bf16Rows.BLOCK;
        for (int r0 = 0; r0 < rows; r0 += blockRows) {
            final int n = Math.min(blockRows, rows - r0), first = r0;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment src = in.map(FileChannel.MapMode.READ_ONLY, offset + r0 * rowBytes, n * rowBytes, arena);
                Parallel.forRange(blocks, 16, (b0, b1) -> {
                    int c0 = b0 * Bf16Rows.BLOCK, c1 = Math.min(cols, b1 * Bf16Rows.BLOCK);
                    for (int i = 0; i < n; i++) Bf16Rows.accumulate(src, i * rowBytes, (float) u[first + i], s, c0, c1, cols);
                });
            }
        }
        return s;
    }

    /** s = uᵀW in float64, summed in row order (deterministic: threads split the columns). */
    private double[] columnSums(DType dt, int rows, int cols, double[] u, int blockRows) throws IOException {
        double[] s = new double[cols];
        long rowBytes = dt.bytes(cols);
        for (int r0 = 0; r0 < rows; r0 += blockRows) {
            final int n = Math.min(blockRows, rows - r0), first = r0;
            try (Arena arena = Arena.ofShared()) {
                MemorySegment src = in.map(FileChannel.MapMode.READ_ONLY, offset + r0 * rowBytes, n * rowBytes, arena);
                Parallel.forRange(cols, 256, (c0, c1) -> {
                    double[] part = new double[c1 - c0];
                    WeightRows.Scratch sc = new WeightRows.Scratch(c1 - c0);
                    for (int i = 0; i < n; i++) {
                        WeightRows.read(src, dt, (long) i * cols + c0, c1 - c0, part, sc);
                        double ui = u[first + i];
                        for (int j = c0; j < c1; j++) s[j] += ui * part[j - c0];
                    }
                });
            }
        }
        return s;
    }
}
