package dev.refusal4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Reads memory as fast as the cores can, with nothing else to do: the ceiling of a decode step,
 * which reads every weight once per token. {@code bench} reads the weights a decode step reads
 * this way and prints the rate beside the decode's own.
 */
public final class StreamRead {
    private static final VectorSpecies<Float> S = Species.F;
    private static final int VECTOR_BYTES = S.vectorByteSize();
    /** Bytes a thread reads at a time: large enough that the hardware prefetchers settle on each stream. */
    static final int BLOCK = 1 << 20;

    private StreamRead() {}

    /**
     * Reads every byte of {@code segments}, split into blocks across the cores, and returns the sum
     * of their contents as little-endian F32 (whole vectors) plus the unsigned values of any trailing
     * bytes of a segment, so that no read can be left out. Blocks are summed in order: the same
     * bytes give the same result.
     */
    public static double read(List<MemorySegment> segments) {
        List<long[]> blocks = new ArrayList<>(); // {segment index, offset, length}
        for (int s = 0; s < segments.size(); s++) {
            long size = segments.get(s).byteSize();
            for (long o = 0; o < size; o += BLOCK) blocks.add(new long[] {s, o, Math.min(BLOCK, size - o)});
        }
        double[] sums = new double[blocks.size()];
        Parallel.forRange(blocks.size(), 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                long[] k = blocks.get(b);
                sums[b] = block(segments.get((int) k[0]), k[1], k[2]);
            }
        });
        double total = 0;
        for (double v : sums) total += v;
        return total;
    }

    private static double block(MemorySegment seg, long from, long length) {
        FloatVector a = FloatVector.zero(S), b = a;
        long end = from + length, o = from;
        for (; o + 2L * VECTOR_BYTES <= end; o += 2L * VECTOR_BYTES) {
            a = a.add(FloatVector.fromMemorySegment(S, seg, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(S, seg, o + VECTOR_BYTES, ByteOrder.LITTLE_ENDIAN));
        }
        if (o + VECTOR_BYTES <= end) {
            a = a.add(FloatVector.fromMemorySegment(S, seg, o, ByteOrder.LITTLE_ENDIAN));
            o += VECTOR_BYTES;
        }
        double sum = a.add(b).reduceLanes(VectorOperators.ADD);
        for (; o < end; o++) sum += Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, o));
        return sum;
    }
}
