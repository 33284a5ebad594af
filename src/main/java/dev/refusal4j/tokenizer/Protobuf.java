package dev.refusal4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Reads protobuf wire format (the encoding of SentencePiece's {@code .model} files): a message
 * is a run of (field number, wire type, value) records. Enough for reading, no schema needed.
 */
final class Protobuf {
    static final int VARINT = 0, FIXED64 = 1, BYTES = 2, FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private final String source; // for error messages
    int field, wireType;

    Protobuf(byte[] buf, int start, int end, String source) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.source = source;
    }

    /** Advances to the next record; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long key = varint();
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        return true;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw truncated();
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if (b >= 0) return result;
        }
        throw new IllegalArgumentException(source + ": malformed varint at byte " + pos);
    }

    float fixed32Float() {
        if (pos + 4 > end) throw truncated();
        int bits = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    /** The embedded message of a BYTES record. */
    Protobuf message() {
        int len = length();
        Protobuf sub = new Protobuf(buf, pos, pos + len, source);
        pos += len;
        return sub;
    }

    String string() {
        int len = length();
        String s = new String(buf, pos, len, StandardCharsets.UTF_8);
        pos += len;
        return s;
    }

    private int length() {
        long len = varint();
        if (len < 0 || len > end - pos) throw truncated(); // not "pos + len > end": a huge len would overflow

        return (int) len;
    }

    /** Skips the value of the current record. */
    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> pos += 8;
            case BYTES -> {
                int len = length(); // read first: "pos += length()" would add to the old pos
                pos += len;
            }
            case FIXED32 -> pos += 4;
            default -> throw new IllegalArgumentException(source + ": unknown protobuf wire type " + wireType + " at byte " + pos);
        }
        if (pos > end) throw truncated();
    }

    private IllegalArgumentException truncated() {
        return new IllegalArgumentException(source + ": truncated or not a protobuf file (record runs past byte " + end + ")");
    }
}
