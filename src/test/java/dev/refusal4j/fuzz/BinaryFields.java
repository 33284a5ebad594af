package dev.refusal4j.fuzz;

import dev.refusal4j.fuzz.Mutations.Mutation;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * The integer fields of binary formats (counts, lengths, type tags, ids), located by walking a valid
 * file, so that a mutation can set exactly one of them to a hostile value: random byte flips
 * rarely hit a length field, and a length is where a reader allocates.
 */
final class BinaryFields {
    private BinaryFields() {}

    /** A little-endian integer field of {@code width} bytes at {@code offset}. */
    record Field(int offset, int width) {}

    /** Values for a field: zero, one, all ones, sign bits, just past the int range, huge. */
    static final List<Long> NASTY = List.of(0L, 1L, 2L, 3L, 7L, 8L, 12L, 13L, 255L, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL, 1L << 32,
            1L << 40, Long.MAX_VALUE, -1L, Long.MIN_VALUE, 100_000_000L);

    /** Sets the k-th field (as a fraction of the field count) of a file to a value, cut to the field's width. */
    record SetField(String format, double which, long value) implements Mutation {
        public byte[] apply(byte[] in) {
            List<Field> fields = format.equals("gguf") ? gguf(in) : List.of();
            if (format.equals("protobuf")) return setVarint(in, which, value);
            if (fields.isEmpty()) return in;
            Field f = fields.get(Math.min(fields.size() - 1, Mutations.at(which, fields.size() - 1)));
            byte[] out = in.clone();
            for (int i = 0; i < f.width(); i++) out[f.offset() + i] = (byte) (value >>> (8 * i));
            return out;
        }
    }

    static Arbitrary<Mutation> fields(String format) {
        return Combinators.combine(Arbitraries.doubles().between(0, 1).ofScale(4), Arbitraries.of(NASTY))
                .as((w, v) -> (Mutation) new SetField(format, w, v));
    }

    // ---- GGUF: magic, version, counts, then key/value records and tensor infos ----

    /** Every integer field of a GGUF file, in file order; stops where the file stops making sense. */
    static List<Field> gguf(byte[] b) {
        List<Field> out = new ArrayList<>();
        try {
            int[] pos = {0};
            field(b.length, out, pos, 4); // magic
            field(b.length, out, pos, 4); // version
            long tensors = field(b, out, pos, 8), kvs = field(b, out, pos, 8);
            for (long i = 0; i < kvs && pos[0] < b.length; i++) {
                skipString(b, out, pos);
                int type = (int) field(b, out, pos, 4);
                value(b, out, pos, type);
            }
            for (long i = 0; i < tensors && pos[0] < b.length; i++) {
                skipString(b, out, pos);
                long dims = field(b, out, pos, 4);
                for (long d = 0; d < dims; d++) field(b.length, out, pos, 8);
                field(b.length, out, pos, 4);
                field(b.length, out, pos, 8);
            }
        } catch (RuntimeException e) {
            // a file already damaged by an earlier mutation: the fields found so far
        }
        return out;
    }

    private static void value(byte[] b, List<Field> out, int[] pos, int type) {
        switch (type) {
            case 0, 1, 7 -> field(b.length, out, pos, 1);
            case 2, 3 -> field(b.length, out, pos, 2);
            case 4, 5, 6 -> field(b.length, out, pos, 4);
            case 8 -> skipString(b, out, pos);
            case 9 -> {
                int elem = (int) field(b, out, pos, 4);
                long n = field(b, out, pos, 8);
                for (long i = 0; i < n; i++) {
                    if (pos[0] >= b.length) throw new IllegalStateException("past the end");
                    if (elem == 8) skipString(b, out, pos);
                    else if (i < 4 || i >= n - 4) value(b, out, pos, elem); // the array's ends: enough fields, fewer entries
                    else pos[0] += width(elem);
                }
            }
            case 10, 11, 12 -> field(b.length, out, pos, 8);
            default -> throw new IllegalStateException("type " + type);
        }
    }

    private static int width(int type) {
        return switch (type) {
            case 0, 1, 7 -> 1;
            case 2, 3 -> 2;
            case 4, 5, 6 -> 4;
            default -> 8;
        };
    }

    private static void skipString(byte[] b, List<Field> out, int[] pos) {
        long len = field(b, out, pos, 8);
        pos[0] = Math.toIntExact(pos[0] + len);
    }

    private static void field(int length, List<Field> out, int[] pos, int width) {
        if (pos[0] + width > length) throw new IllegalStateException("past the end");
        out.add(new Field(pos[0], width));
        pos[0] += width;
    }

    private static long field(byte[] b, List<Field> out, int[] pos, int width) {
        long v = 0;
        for (int i = 0; i < width; i++) v |= (long) (b[pos[0] + i] & 0xFF) << (8 * i);
        field(b.length, out, pos, width);
        return v;
    }

    // ---- protobuf: every varint (keys, lengths, values), in nested messages too ----

    /** Offsets and lengths of every varint in a protobuf message, descending into length-delimited records that parse as messages. */
    static List<Field> varints(byte[] b, int start, int end, int depth) {
        List<Field> out = new ArrayList<>();
        int pos = start;
        try {
            while (pos < end) {
                int keyStart = pos;
                long[] key = varint(b, pos);
                out.add(new Field(keyStart, (int) key[1] - keyStart));
                pos = (int) key[1];
                switch ((int) (key[0] & 7)) {
                    case 0 -> {
                        long[] v = varint(b, pos);
                        out.add(new Field(pos, (int) v[1] - pos));
                        pos = (int) v[1];
                    }
                    case 1 -> pos += 8;
                    case 2 -> {
                        long[] len = varint(b, pos);
                        out.add(new Field(pos, (int) len[1] - pos));
                        int from = (int) len[1], to = Math.toIntExact(from + len[0]);
                        if (depth < 2 && to <= end) {
                            List<Field> inner = varints(b, from, to, depth + 1);
                            if (!inner.isEmpty()) out.addAll(inner);
                        }
                        pos = to;
                    }
                    case 5 -> pos += 4;
                    default -> {
                        return out;
                    }
                }
            }
        } catch (RuntimeException e) {
            // damaged already, or a string that is not a message: the fields found so far
        }
        return out;
    }

    private static long[] varint(byte[] b, int pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte x = b[pos++];
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) return new long[]{v, pos};
        }
        throw new IllegalStateException("varint too long");
    }

    /** Replaces the k-th varint (among the first few hundred: the header and the first pieces) by another. */
    private static byte[] setVarint(byte[] in, double which, long value) {
        List<Field> fields = varints(in, 0, in.length, 0);
        if (fields.isEmpty()) return in;
        // pieces come first in a SentencePiece model; the trainer and normalizer specs come last
        List<Field> some = fields.size() <= 600 ? fields : new ArrayList<>(fields.subList(0, 300));
        if (fields.size() > 600) some.addAll(fields.subList(fields.size() - 300, fields.size()));
        Field f = some.get(Math.min(some.size() - 1, Mutations.at(which, some.size() - 1)));
        ByteArrayOutputStream enc = new ByteArrayOutputStream();
        long v = value;
        do {
            int low = (int) (v & 0x7F);
            v >>>= 7;
            enc.write(v != 0 ? low | 0x80 : low);
        } while (v != 0);
        byte[] e = enc.toByteArray();
        byte[] out = Arrays.copyOf(in, in.length - f.width() + e.length);
        System.arraycopy(e, 0, out, f.offset(), e.length);
        System.arraycopy(in, f.offset() + f.width(), out, f.offset() + e.length, in.length - f.offset() - f.width());
        return out;
    }
}
