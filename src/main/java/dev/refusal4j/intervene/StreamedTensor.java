package dev.refusal4j.intervene;

import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Parallel;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;

/**
 * One output tensor streamed from an input file: copied byte for byte (the kernel's sendfile /
 * copy_file_range, no user-space buffer), or orthogonalized in row blocks. Input windows of about
 * {@link #WINDOW} bytes are mapped one at a time and unmapped after use, so the resident memory stays
 * bounded by the window and the output buffer whatever the tensor size.
 */
final class StreamedTensor implements SafetensorsWriter.Source {
    static final long WINDOW = 16L << 20;

    /** Shared progress across the tensors of one export. */
    static final class Progress {
        final ProgressListener listener;
        final long total;
        long done;
        volatile boolean cancelled;

        Progress(ProgressListener listener, long total) {
            this.listener = listener;
            this.total = total;
        }

        void advance(String tensor, long bytes) throws IOException {
            if (cancelled) throw new java.io.InterruptedIOException("export cancelled");
            done += bytes;
            listener.bytes(tensor, done, total);
        }
    }

    private final String name;
    private final String dtypeName;
    private final long[] shape;
    private final FileChannel in;
    private final long offset;        // absolute file offset of the input tensor's first byte
    private final OrthogonalPlan.Target target; // null: copy unchanged
    private final Progress progress;
    private final WriteBehind output; // output buffers and writer thread, shared by all tensors

    StreamedTensor(String name, String dtypeName, long[] shape, FileChannel in, long offset,
                   OrthogonalPlan.Target target, Progress progress, WriteBehind output) {
        this.name = name;
        this.dtypeName = dtypeName;
        this.shape = shape;
        this.in = in;
        this.offset = offset;
        this.target = target;
        this.progress = progress;
        this.output = output;
    }

    public String name() { return name; }

    public String dtype() { return dtypeName; }

    public long[] shape() { return shape; }

    /** Computed tensors go after the copied ones, so that the kernels are compiled by then (see {@link Bf16Rows#warmUp}). */
    @Override
    public boolean late() { return target != null; }

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
            progress.advance(name, step);
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
        long rowBytes = (long) cols * dt.bytes;
        if (rowBytes > output.capacity()) throw new IOException("tensor '" + name + "': a row of " + rowBytes + " bytes exceeds the " + output.capacity() + "-byte block buffer");
        int blockRows = (int) Math.max(1, Math.min(rows, output.capacity() / rowBytes));
        boolean outputProjection = target.kind() == OrthogonalPlan.Kind.OUTPUT;
        // BF16 (the common case) in float lanes; F32 needs float64 sums to stay within its own rounding
        boolean bf16 = dt == DType.BF16;
        double[] colSums = outputProjection && !bf16 ? columnSums(dt, rows, cols, u, blockRows) : null;
        float[] paired = !bf16 ? null : outputProjection ? bf16ColumnSums(rows, cols, u, blockRows) : Bf16Rows.paired(u, 0, cols);
        try {
            for (int r0 = 0; r0 < rows; r0 += blockRows) {
                int n = Math.min(blockRows, rows - r0);
                MemorySegment dst = MemorySegment.ofBuffer(output.acquire());
                if (bf16) projectBf16Block(r0, n, cols, u, paired, outputProjection, dst);
                else projectBlock(dt, r0, n, cols, u, colSums, dst);
                output.submit(out, (int) (n * rowBytes));
                progress.advance(name, n * rowBytes);
            }
            output.drain();
        } catch (IOException | RuntimeException e) {
            output.drainQuietly();
            throw e;
        }
    }

    /** Rows [first, first + n) of the input, orthogonalized into dst. */
    private void projectBlock(DType dt, int first, int n, int cols, double[] u, double[] colSums, MemorySegment dst) throws IOException {
        long rowBytes = (long) cols * dt.bytes;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = in.map(FileChannel.MapMode.READ_ONLY, offset + first * rowBytes, n * rowBytes, arena);
            Parallel.forRange(n, Math.max(1, 4096 / Math.max(1, cols / 256)), (i0, i1) -> {
                double[] row = new double[cols];
                WeightRows.Scratch sc = new WeightRows.Scratch(cols);
                for (int i = i0; i < i1; i++) {
                    WeightRows.read(src, dt, (long) i * cols, cols, row, sc);
                    if (colSums == null) WeightRows.projectOut(row, u, cols);
                    else {
                        double ui = u[first + i];
                        for (int j = 0; j < cols; j++) row[j] -= ui * colSums[j];
                    }
                    WeightRows.write(dst, dt, (long) i * cols, cols, row, sc);
                }
            });
        }
    }

    /** BF16 rows [first, first + n) orthogonalized into dst in float lanes (see {@link Bf16Rows}). */
    private void projectBf16Block(int first, int n, int cols, double[] u, float[] paired, boolean output, MemorySegment dst) throws IOException {
        long rowBytes = 2L * cols;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = in.map(FileChannel.MapMode.READ_ONLY, offset + first * rowBytes, n * rowBytes, arena);
            Parallel.forRange(n, Math.max(1, 4096 / Math.max(1, cols / 256)), (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    long o = i * rowBytes;
                    // output projection: row i loses u_i (uᵀW); embedding row: loses (u·row) u
                    float scale = output ? (float) u[first + i] : Bf16Rows.dot(src, o, paired, cols);
                    Bf16Rows.subtractScaled(src, o, paired, scale, dst, o, cols);
                }
            });
        }
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
        long rowBytes = (long) cols * dt.bytes;
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
