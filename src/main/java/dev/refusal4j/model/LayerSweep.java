package dev.refusal4j.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Forward calls run one layer at a time for a model larger than memory: every pass (a batch of
 * prompts under its hooks) is taken through layer 0, then all of them through layer 1, and so on, so
 * each layer's weights are read once per sweep however many passes there are, instead of once per
 * pass. Each pass's residual stream is carried from layer to layer (in the heap, or in a file when
 * all of them exceed the budget), and its keys and values are kept for the current layer only.
 *
 * <p>Every call is the one {@link Transformer#forward} makes for the whole stack, cut at layer
 * boundaries ({@link Forward.Start}, {@link Forward.Until}): the same products on the same rows, so
 * a sweep's logits and hooks see what separate whole forward calls give, to the bit.
 */
public final class LayerSweep {
    private final Transformer model;
    private final Budget budget;
    private final List<Pass> passes = new ArrayList<>();

    /**
     * How a sweep may use memory.
     *
     * @param residualBytes the residual streams kept in the heap at most; beyond it they live in a file
     * @param spillDir      where that file is made (deleted after the sweep)
     */
    public record Budget(long residualBytes, Path spillDir) {}

    public LayerSweep(Transformer model, Budget budget) {
        this.model = model;
        this.budget = budget;
    }

    /** One batch carried through the sweep; its logits are there after {@link #run}. */
    public static final class Pass {
        final int[][] tokens;
        final int[] padding, lastSlots;
        final Hooks hooks;
        final Transformer.Logits logits;
        final Pass prefix;       // the one-sequence pass whose keys and values each sequence continues, or null
        final int join;          // the first layer this pass runs
        final Pass joinFrom;     // whose resid_pre at layer join it starts from (null: the embedding)
        float[] resid;           // the residual stream, [rows × hidden]; null while spilled or not started
        long spillOffset = -1;
        KvCache cache;           // the current layer's
        float[] out;

        Pass(int[][] tokens, int[] padding, int[] lastSlots, Hooks hooks, Transformer.Logits logits, Pass prefix, int join, Pass joinFrom) {
            this.tokens = tokens;
            this.padding = padding;
            this.lastSlots = lastSlots;
            this.hooks = hooks == null ? Hooks.NONE : hooks;
            this.logits = logits;
            this.prefix = prefix;
            this.join = join;
            this.joinFrom = joinFrom;
        }

        int rows() {
            return tokens.length * tokens[0].length;
        }

        /** The logits the pass asked for ({@link Transformer#forward}'s layout); empty for {@link Transformer.Logits#NONE}. */
        public float[] logits() {
            if (out == null) throw new IllegalStateException("the sweep has not run");
            return out;
        }
    }

    /** A shared prefix (one sequence, no logits) that later passes continue; its hooks are the intervention's. */
    public Pass prefix(int[] tokens, Hooks hooks) {
        return add(new Pass(new int[][] {tokens}, null, null, hooks, Transformer.Logits.NONE, null, 0, null));
    }

    /** A prefix pass that starts at {@code layer} from {@code from}'s resid_pre there. */
    public Pass prefix(int[] tokens, Hooks hooks, int layer, Pass from) {
        return add(new Pass(new int[][] {tokens}, null, null, hooks, Transformer.Logits.NONE, null, layer, from));
    }

    /** A batch: whole prompts (prefix null) or suffixes continuing {@code prefix}. */
    public Pass batch(Batches.Batch b, Pass prefix, Hooks hooks, Transformer.Logits logits) {
        return add(new Pass(b.tokens(), prefix == null ? b.padding() : null, b.last(), hooks, logits, prefix, 0, null));
    }

    /** A batch that starts at {@code layer} from {@code from}'s resid_pre there (as {@link Forward.Start} does). */
    public Pass batch(Batches.Batch b, Pass prefix, Hooks hooks, Transformer.Logits logits, int layer, Pass from) {
        if (from.tokens.length != b.tokens().length || from.tokens[0].length != b.tokens()[0].length) {
            throw new IllegalArgumentException("a pass starts from another of the same shape");
        }
        return add(new Pass(b.tokens(), prefix == null ? b.padding() : null, b.last(), hooks, logits, prefix, layer, from));
    }

    private Pass add(Pass p) {
        if (p.prefix != null && !passes.contains(p.prefix)) throw new IllegalArgumentException("a prefix pass is added before the passes that continue it");
        // layer 0's resid_pre is the embedding, which a pass computes itself
        if (p.joinFrom != null && (p.join < 1 || p.join >= model.config.layers)) {
            throw new IllegalArgumentException("a pass starts from another's stream at a layer in [1, " + model.config.layers + "), not " + p.join);
        }
        if (p.joinFrom != null && !passes.contains(p.joinFrom)) throw new IllegalArgumentException("a pass starts from one added before it");
        passes.add(p);
        return p;
    }

    /** The bytes of residual stream all passes carry at once. */
    public long residualBytes() {
        long rows = 0;
        for (Pass p : passes) rows += p.rows();
        return rows * model.config.hidden * Float.BYTES;
    }

    /** Runs every pass, layer by layer. */
    public void run() {
        int L = model.config.layers, d = model.config.hidden;
        boolean spill = residualBytes() > budget.residualBytes();
        try (Spill file = spill ? new Spill(budget.spillDir(), passes, d) : null) {
            for (int l = 0; l < L; l++) {
                for (Pass p : passes) {   // a pass that starts here copies its source before the source moves on
                    if (p.join == l && p.joinFrom != null) {
                        p.resid = (file == null ? p.joinFrom.resid : file.read(p.joinFrom)).clone();
                        if (file != null) file.write(p);
                    }
                }
                for (Pass p : passes) {
                    if (l < p.join) continue;
                    step(p, l, file);
                }
                for (Pass p : passes) p.cache = null;   // this layer's keys and values are done with
            }
        }
        model.sweepRan();
    }

    private void step(Pass p, int l, Spill file) {
        int L = model.config.layers;
        int B = p.tokens.length, T = p.tokens[0].length;
        float[] resid = file == null ? p.resid : file.read(p);
        if (resid == null) resid = new float[p.rows() * model.config.hidden];
        KvCache cache = p.prefix == null ? new KvCache(L, B, T, model.config.kvDim())
                : KvCache.sharedPrefix(p.prefix.cache, B, p.prefix.tokens[0].length + T);
        Forward f = Forward.of(p.tokens).cache(cache).hooks(p.hooks).logits(p.logits);
        if (p.padding != null) f = f.padding(p.padding);
        if (p.lastSlots != null) f = f.lastSlots(p.lastSlots);
        boolean first = l == p.join && p.joinFrom == null;   // at the embedding
        if (!first) f = f.start(new Forward.Start(l, resid));
        if (l < L - 1) {
            model.forward(f.until(new Forward.Until(l + 1, resid)));
        } else {
            p.out = model.forward(f);
        }
        p.cache = cache;
        if (file == null) p.resid = resid;
        else file.write(p, resid);
    }

    /** The residual streams in one file, a fixed region per pass; the heap holds one pass's at a time. */
    private static final class Spill implements AutoCloseable {
        private final Path path;
        private final FileChannel ch;
        private final int dims;
        private final boolean madeDir;
        private ByteBuffer buf;

        Spill(Path dir, List<Pass> passes, int d) {
            this.dims = d;
            try {
                madeDir = !Files.exists(dir);
                Files.createDirectories(dir);
                path = Files.createTempFile(dir, "refusal4j-sweep-", ".f32");
                ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make a file for the residual streams in " + dir + ": " + e.getMessage(), e);
            }
            long off = 0;
            for (Pass p : passes) {
                p.spillOffset = off;
                off += (long) p.rows() * d * Float.BYTES;
            }
        }

        float[] read(Pass p) {
            if (p.resid != null) return p.resid;
            int n = p.rows() * dims;
            ByteBuffer b = buffer(n);
            try {
                while (b.hasRemaining()) if (ch.read(b, p.spillOffset + b.position()) < 0) return null; // not written yet: a pass at its embedding
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the residual streams back from " + path + ": " + e.getMessage(), e);
            }
            float[] out = new float[n];
            b.flip().asFloatBuffer().get(out);
            return out;
        }

        void write(Pass p) {
            write(p, p.resid);
        }

        void write(Pass p, float[] resid) {
            ByteBuffer b = buffer(resid.length);
            b.asFloatBuffer().put(resid);
            try {
                while (b.hasRemaining()) ch.write(b, p.spillOffset + b.position());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the residual streams to " + path + " (disk full?): " + e.getMessage(), e);
            }
            p.resid = null;
        }

        private ByteBuffer buffer(int floats) {
            if (buf == null || buf.capacity() < floats * Float.BYTES) buf = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder());
            buf.clear().limit(floats * Float.BYTES);
            return buf;
        }

        @Override
        public void close() {
            try {
                ch.close();
                Files.deleteIfExists(path);
                if (madeDir) {
                    try {
                        Files.deleteIfExists(path.getParent());   // made for the sweep; left when something else came into it
                    } catch (java.nio.file.DirectoryNotEmptyException e) {
                        // not ours alone
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
