package dev.refusal4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batched y[M, N] = x[M, K] · w[N, K]ᵀ for prefill (M of about 16 and more), register-tiled.
 *
 * <p>Layout, BLIS-style but with the roles of x and w swapped so that w never needs transposing:
 * x is packed once per call into tiles of {@link #MR} rows interleaved along K ({@code xp[k][MR]}),
 * which become two vector loads per k; a block of w rows is widened to F32 into per-thread scratch
 * (plain row-major, so BF16/F16 and ggml-block widening stays contiguous and vectorised; a K
 * block is a whole number of ggml blocks); the micro-kernel
 * broadcasts one weight per w row and accumulates an NR × MR tile in 12 vector registers.
 * Work is split across cores by blocks of w rows; K is blocked so a packed x tile stays in L1.
 * For up to {@link #DIRECT_MAX_M} rows of x and F32 weights, the weights are read in place instead
 * ({@link #runDirect}).
 */
final class Gemm {
    private static final VectorSpecies<Float> S = Species.F;
    private static final int L = S.length();
    static final int MR = 2 * L; // x rows per micro-tile: two vectors
    static final int NR = 6; // w rows per micro-tile: one broadcast each; 6 × 2 accumulators + 2 loads + 1 broadcast fit 16 registers
    private static final int NB_TILES = 16; // w micro-tiles per block (96 rows)
    private static final int KB = 1024; // K per block: K = 896 in one, K = 4864 in five

    private static final ThreadLocal<float[]> PACKED_X = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> W_BLOCK = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[NR * MR]);

    private Gemm() {}

    /**
     * y[yOff + row(m)*N + n] = sum_k x[xOff + row(m)*K + k] * w[n, k] for m < M, where row(m) =
     * rows[m], or m when rows is null: a row map lets the caller skip rows it does not need (padding)
     * at no cost, since x is gathered while it is packed and y is scattered as tiles are stored.
     */
    static void run(float[] x, int xOff, int M, int[] rows, Matrix w, float[] y, int yOff) {
        if (M <= DIRECT_MAX_M && w.dtype == DType.F32 && w.data.isNative() && w.data.byteSize() <= Integer.MAX_VALUE) {
            runDirect(x, xOff, M, rows, w, y, yOff);
            return;
        }
        final int N = w.rows, K = w.cols;
        final float[] xp = packX(x, xOff, M, rows, K);
        // K split evenly into blocks of about KB, each rounded up to whole ggml blocks, since a panel
        // row is widened from the start of a block on
        final int split = (K + KB - 1) / KB, be = w.dtype.blockElements;
        final int kb = ((K + split - 1) / split + be - 1) / be * be, kBlocks = (K + kb - 1) / kb;
        final int nTiles = (N + NR - 1) / NR;
        Parallel.forRange(nTiles, 8, (t0, t1) -> {
            // A thread's work is a sequence of panels: NB_TILES tiles of w rows × one K block. The next
            // panel is copied (widened) into the other half of wb a few rows after each kernel call,
            // so its memory reads overlap the current panel's arithmetic instead of stalling before it.
            int half = NB_TILES * NR * kb;
            float[] wb = scratch(W_BLOCK, 2 * half);
            float[] tile = TILE.get();
            int panels = (t1 - t0 + NB_TILES - 1) / NB_TILES * kBlocks;
            Panel cur = new Panel(), next = new Panel();
            cur.at(0, t0, t1, kb, kBlocks, N, K);
            for (int r = 0; r < cur.rows(); r++) cur.copyRow(w, r, wb, 0);
            cur.pad(wb, 0);
            for (int p = 0; p < panels; p++) {
                int curOff = (p & 1) * half, nextOff = half - curOff;
                boolean more = p + 1 < panels;
                if (more) next.at(p + 1, t0, t1, kb, kBlocks, N, K);
                int copied = 0, calls = ((M + MR - 1) / MR) * (cur.b1 - cur.b0), call = 0;
                for (int m0 = 0; m0 < M; m0 += MR) {
                    int width = Math.min(MR, M - m0) <= L ? L : MR; // packed tile width
                    int xo = m0 * K + cur.k0 * width;
                    for (int t = cur.b0; t < cur.b1; t++) {
                        int n0 = t * NR, wo = curOff + (n0 - cur.r0) * cur.kl;
                        if (width == MR) kernel6x2(xp, xo, wb, wo, cur.kl, tile);
                        else kernel6x1(xp, xo, wb, wo, cur.kl, tile);
                        store(tile, Math.min(NR, N - n0), Math.min(width, M - m0), y, yOff + n0, m0, rows, N, cur.k0 > 0);
                        if (more) {
                            int due = (int) ((long) ++call * next.rows() / calls);
                            for (; copied < due; copied++) next.copyRow(w, copied, wb, nextOff);
                        }
                    }
                }
                if (more) {
                    for (; copied < next.rows(); copied++) next.copyRow(w, copied, wb, nextOff);
                    next.pad(wb, nextOff);
                    Panel t = cur;
                    cur = next;
                    next = t;
                }
            }
        });
    }

    /** Up to this many x rows, F32 weights are read in place ({@link #runDirect}) instead of copied into panels. */
    static final int DIRECT_MAX_M = 64;
    /** K per block of the in-place path: the models' K (896 … 4864) fit in one, so each y tile is stored once, not accumulated. */
    private static final int DKB = 8192;

    /**
     * F32 weights in native memory, read in place. With few x rows each weight is used only M times,
     * so the tiled path's panel copy (a read and a write per weight) would be a large share of the
     * work. The weights are read through a FloatBuffer view because its int-indexed get compiles to
     * plain loads with the range check hoisted out of the loop, which a MemorySegment get with a long
     * offset does not. Each micro-tile of 6 weight rows is used for every x tile while it is in
     * cache; rows past N in the last tile repeat row N − 1 (computed, not stored).
     */
    private static void runDirect(float[] x, int xOff, int M, int[] rows, Matrix w, float[] y, int yOff) {
        final int N = w.rows, K = w.cols;
        final float[] xp = packX(x, xOff, M, rows, K);
        final int kBlocks = (K + DKB - 1) / DKB, kb = (K + kBlocks - 1) / kBlocks;
        final int nTiles = (N + NR - 1) / NR;
        final java.nio.FloatBuffer fb = w.data.asByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        Parallel.forRange(nTiles, 8, (t0, t1) -> {
            float[] tile = TILE.get();
            for (int t = t0; t < t1; t++) {
                int n0 = t * NR, n = Math.min(NR, N - n0);
                for (int k0 = 0; k0 < K; k0 += kb) {
                    int kl = Math.min(kb, K - k0);
                    int b0 = n0 * K + k0;
                    int b1 = b0 + Math.min(1, n - 1) * K, b2 = b0 + Math.min(2, n - 1) * K;
                    int b3 = b0 + Math.min(3, n - 1) * K, b4 = b0 + Math.min(4, n - 1) * K, b5 = b0 + Math.min(5, n - 1) * K;
                    for (int m0 = 0; m0 < M; m0 += MR) {
                        int width = Math.min(MR, M - m0) <= L ? L : MR;
                        int xo = m0 * K + k0 * width;
                        if (width == MR) kernelBuf6x2(xp, xo, fb, b0, b1, b2, b3, b4, b5, kl, tile);
                        else kernelBuf6x1(xp, xo, fb, b0, b1, b2, b3, b4, b5, kl, tile);
                        store(tile, n, Math.min(width, M - m0), y, yOff + n0, m0, rows, N, k0 > 0);
                    }
                }
            }
        });
    }

    /** As {@link #kernel6x2}, the six weight rows read from {@code w} at element offsets w0..w5. */
    private static void kernelBuf6x2(float[] xp, int xo, java.nio.FloatBuffer w, int w0, int w1, int w2, int w3, int w4, int w5, int kl, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int k = 0, xi = xo; k < kl; k++, xi += MR) {
            FloatVector b0 = FloatVector.fromArray(S, xp, xi), b1 = FloatVector.fromArray(S, xp, xi + L);
            FloatVector a = FloatVector.broadcast(S, w.get(w0 + k));
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, w.get(w1 + k));
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, w.get(w2 + k));
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, w.get(w3 + k));
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, w.get(w4 + k));
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, w.get(w5 + k));
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, MR); c11.intoArray(tile, MR + L);
        c20.intoArray(tile, 2 * MR); c21.intoArray(tile, 2 * MR + L);
        c30.intoArray(tile, 3 * MR); c31.intoArray(tile, 3 * MR + L);
        c40.intoArray(tile, 4 * MR); c41.intoArray(tile, 4 * MR + L);
        c50.intoArray(tile, 5 * MR); c51.intoArray(tile, 5 * MR + L);
    }

    /** As {@link #kernel6x1}, the six weight rows read from {@code w} at element offsets w0..w5. */
    private static void kernelBuf6x1(float[] xp, int xo, java.nio.FloatBuffer w, int w0, int w1, int w2, int w3, int w4, int w5, int kl, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        for (int k = 0, xi = xo; k < kl; k++, xi += L) {
            FloatVector b = FloatVector.fromArray(S, xp, xi);
            c0 = FloatVector.broadcast(S, w.get(w0 + k)).fma(b, c0);
            c1 = FloatVector.broadcast(S, w.get(w1 + k)).fma(b, c1);
            c2 = FloatVector.broadcast(S, w.get(w2 + k)).fma(b, c2);
            c3 = FloatVector.broadcast(S, w.get(w3 + k)).fma(b, c3);
            c4 = FloatVector.broadcast(S, w.get(w4 + k)).fma(b, c4);
            c5 = FloatVector.broadcast(S, w.get(w5 + k)).fma(b, c5);
        }
        c0.intoArray(tile, 0); c1.intoArray(tile, MR); c2.intoArray(tile, 2 * MR);
        c3.intoArray(tile, 3 * MR); c4.intoArray(tile, 4 * MR); c5.intoArray(tile, 5 * MR);
    }

    /** Geometry of one panel: w tiles [b0, b1) (rows [r0, r1), zero-padded to rPad) × K columns [k0, k0 + kl). */
    private static final class Panel {
        int b0, b1, r0, r1, rPad, k0, kl;

        void at(int index, int t0, int t1, int kb, int kBlocks, int N, int K) {
            b0 = t0 + (index / kBlocks) * NB_TILES;
            b1 = Math.min(t1, b0 + NB_TILES);
            r0 = b0 * NR;
            r1 = Math.min(N, b1 * NR);
            rPad = b1 * NR;
            k0 = (index % kBlocks) * kb;
            kl = Math.min(kb, K - k0);
        }

        int rows() {
            return r1 - r0;
        }

        void copyRow(Matrix w, int i, float[] wb, int off) {
            Widen.row(w, r0 + i, k0, kl, wb, off + i * kl);
        }

        void pad(float[] wb, int off) {
            if (rPad > r1) java.util.Arrays.fill(wb, off + (r1 - r0) * kl, off + (rPad - r0) * kl, 0f);
        }
    }

    /**
     * x rows in tiles of MR (the last one L wide when that suffices), each tile interleaved along
     * K: xp[m0*K + k*width + j] = x[m0 + j, k], zero-padded past M.
     */
    private static float[] packX(float[] x, int xOff, int M, int[] rows, int K) {
        int padded = ((M + L - 1) / L) * L;
        float[] xp = scratch(PACKED_X, padded * K);
        int tiles = (M + MR - 1) / MR;
        Parallel.forRange(tiles, Math.max(1, 16384 / (MR * Math.max(1, K))), (t0, t1) -> {
            for (int t = t0; t < t1; t++) packTile(x, xOff, M, rows, K, t * MR, xp);
        });
        return xp;
    }

    private static void packTile(float[] x, int xOff, int M, int[] rowMap, int K, int m0, float[] xp) {
        int width = Math.min(MR, M - m0) <= L ? L : MR, rows = Math.min(width, M - m0);
        int base = m0 * K;
        for (int j = 0; j < rows; j++) {
            int src = xOff + (rowMap == null ? m0 + j : rowMap[m0 + j]) * K;
            for (int k = 0; k < K; k++) xp[base + k * width + j] = x[src + k];
        }
        for (int j = rows; j < width; j++) {
            for (int k = 0; k < K; k++) xp[base + k * width + j] = 0f;
        }
    }

    private static float[] scratch(ThreadLocal<float[]> holder, int size) {
        float[] a = holder.get();
        if (a.length < size) {
            a = new float[size];
            holder.set(a);
        }
        return a;
    }

    /** tile[i*MR + j] = sum_k wb[wo + i*kl + k] * xp[xo + k*MR + j], for i < NR, j < MR. */
    private static void kernel6x2(float[] xp, int xo, float[] wb, int wo, int kl, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        int w0 = wo, w1 = w0 + kl, w2 = w1 + kl, w3 = w2 + kl, w4 = w3 + kl, w5 = w4 + kl;
        for (int k = 0, xi = xo; k < kl; k++, xi += MR) {
            FloatVector b0 = FloatVector.fromArray(S, xp, xi), b1 = FloatVector.fromArray(S, xp, xi + L);
            FloatVector a = FloatVector.broadcast(S, wb[w0 + k]);
            c00 = a.fma(b0, c00); c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, wb[w1 + k]);
            c10 = a.fma(b0, c10); c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, wb[w2 + k]);
            c20 = a.fma(b0, c20); c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, wb[w3 + k]);
            c30 = a.fma(b0, c30); c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, wb[w4 + k]);
            c40 = a.fma(b0, c40); c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, wb[w5 + k]);
            c50 = a.fma(b0, c50); c51 = a.fma(b1, c51);
        }
        c00.intoArray(tile, 0); c01.intoArray(tile, L);
        c10.intoArray(tile, MR); c11.intoArray(tile, MR + L);
        c20.intoArray(tile, 2 * MR); c21.intoArray(tile, 2 * MR + L);
        c30.intoArray(tile, 3 * MR); c31.intoArray(tile, 3 * MR + L);
        c40.intoArray(tile, 4 * MR); c41.intoArray(tile, 4 * MR + L);
        c50.intoArray(tile, 5 * MR); c51.intoArray(tile, 5 * MR + L);
    }

    /** As {@link #kernel6x2} for a packed x tile only L wide (the last rows of x). */
    private static void kernel6x1(float[] xp, int xo, float[] wb, int wo, int kl, float[] tile) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
        int w0 = wo, w1 = w0 + kl, w2 = w1 + kl, w3 = w2 + kl, w4 = w3 + kl, w5 = w4 + kl;
        for (int k = 0, xi = xo; k < kl; k++, xi += L) {
            FloatVector b = FloatVector.fromArray(S, xp, xi);
            c0 = FloatVector.broadcast(S, wb[w0 + k]).fma(b, c0);
            c1 = FloatVector.broadcast(S, wb[w1 + k]).fma(b, c1);
            c2 = FloatVector.broadcast(S, wb[w2 + k]).fma(b, c2);
            c3 = FloatVector.broadcast(S, wb[w3 + k]).fma(b, c3);
            c4 = FloatVector.broadcast(S, wb[w4 + k]).fma(b, c4);
            c5 = FloatVector.broadcast(S, wb[w5 + k]).fma(b, c5);
        }
        c0.intoArray(tile, 0); c1.intoArray(tile, MR); c2.intoArray(tile, 2 * MR);
        c3.intoArray(tile, 3 * MR); c4.intoArray(tile, 4 * MR); c5.intoArray(tile, 5 * MR);
    }

    /** y[yo + row(m0 + j)*N + i] (+)= tile[i*MR + j] for the n rows and m columns that exist. */
    private static void store(float[] tile, int n, int m, float[] y, int yo, int m0, int[] rows, int N, boolean accumulate) {
        for (int j = 0; j < m; j++) {
            int row = yo + (rows == null ? m0 + j : rows[m0 + j]) * N;
            if (accumulate) for (int i = 0; i < n; i++) y[row + i] += tile[i * MR + j];
            else for (int i = 0; i < n; i++) y[row + i] = tile[i * MR + j];
        }
    }
}
