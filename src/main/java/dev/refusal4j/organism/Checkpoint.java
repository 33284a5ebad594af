package dev.refusal4j.organism;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.organism.nn.Shape;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Everything needed to continue a run exactly: model shape, step, position in the data
 * (epoch, cursor; the order is a function of seed and epoch), the optimizer's step count and
 * moments, and the parameters. Binary, big-endian, written whole or not at all ({@link AtomicFiles}).
 */
public final class Checkpoint {
    private static final long MAGIC = 0x5234_4A54_524E_0001L; // "R4JTRN" v1

    private Checkpoint() {}

    public static void save(Path file, Trainer t) throws IOException {
        AtomicFiles.write(file, stream -> {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(stream, 1 << 16));
            out.writeLong(MAGIC);
            Shape s = t.model.shape;
            for (int v : new int[] {s.hidden(), s.layers(), s.heads(), s.kvHeads(), s.headDim(), s.intermediate(), s.vocab(), s.context()}) out.writeInt(v);
            out.writeFloat(s.eps());
            out.writeDouble(s.ropeTheta());
            out.writeBoolean(s.tied());
            out.writeLong(t.options.seed());
            out.writeInt(t.step);
            out.writeInt(t.stream.epoch());
            out.writeInt(t.stream.cursor());
            out.writeLong(t.adam.t);
            writeFloats(out, t.model.params.data);
            writeFloats(out, t.adam.m);
            writeFloats(out, t.adam.v);
            out.flush();
        });
    }

    /** The shape stored in a checkpoint (to build the trainer before {@link #restore}). */
    public static Shape shape(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            return readShape(file, in);
        }
    }

    /** The number of steps done when the checkpoint was written. */
    public static int stepOf(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            readShape(file, in);
            in.readLong();
            return in.readInt();
        }
    }

    /** Loads a checkpoint into a trainer built for the same shape and seed. */
    public static void restore(Path file, Trainer t) throws IOException {
        try (DataInputStream in = open(file)) {
            Shape s = readShape(file, in);
            if (!s.equals(t.model.shape)) throw new IOException(file + ": checkpoint is for model " + s + ", not " + t.model.shape);
            long seed = in.readLong();
            if (seed != t.options.seed()) throw new IOException(file + ": checkpoint was trained with seed " + seed + ", not " + t.options.seed());
            t.step = in.readInt();
            int epoch = in.readInt(), cursor = in.readInt();
            t.stream.seek(epoch, cursor);
            t.adam.t = in.readLong();
            readFloats(file, in, t.model.params.data);
            readFloats(file, in, t.adam.m);
            readFloats(file, in, t.adam.v);
            if (in.read() != -1) throw new IOException(file + ": trailing bytes after the checkpoint data");
            t.model.params.sync();
        } catch (EOFException e) {
            throw new IOException(file + ": checkpoint is truncated", e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such checkpoint file");
        DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
        if (in.readLong() != MAGIC) {
            in.close();
            throw new IOException(file + ": not a refusal4j training checkpoint (bad magic number)");
        }
        return in;
    }

    private static Shape readShape(Path file, DataInputStream in) throws IOException {
        int[] v = new int[8];
        for (int i = 0; i < 8; i++) v[i] = in.readInt();
        try {
            return new Shape(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], in.readFloat(), in.readDouble(), in.readBoolean());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": invalid model shape in checkpoint: " + e.getMessage());
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float f : a) out.writeInt(Float.floatToRawIntBits(f));
    }

    private static void readFloats(Path file, DataInputStream in, float[] a) throws IOException {
        int n = in.readInt();
        if (n != a.length) throw new IOException(file + ": checkpoint holds " + n + " values where the model has " + a.length);
        for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(in.readInt());
    }
}
