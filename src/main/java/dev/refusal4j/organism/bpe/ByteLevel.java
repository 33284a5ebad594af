package dev.refusal4j.organism.bpe;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's byte-to-unicode table: every byte maps to one printable character, so that byte-level BPE
 * tokens are ordinary strings without spaces or control characters. Printable Latin-1 bytes map to
 * themselves; the other 68 bytes (controls, space, DEL, NBSP, soft hyphen) map to U+0100 upwards in
 * byte order, so the space becomes 'Ġ' and the newline 'Ċ'.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    public static char encodeByte(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a byte-level character stands for, or -1 if it is not one of the 256. */
    public static int decodeChar(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The UTF-8 bytes of {@code text}, each written as its byte-level character. */
    public static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) out[i] = BYTE_TO_CHAR[utf8[i] & 0xFF];
        return new String(out);
    }

    /** Inverse of {@link #encode}: byte-level characters back to text (invalid UTF-8 becomes U+FFFD). */
    public static String decode(CharSequence byteLevel) {
        byte[] bytes = new byte[byteLevel.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = decodeChar(byteLevel.charAt(i));
            if (b < 0) throw new IllegalArgumentException("not a byte-level character: U+" + Integer.toHexString(byteLevel.charAt(i)));
            bytes[i] = (byte) b;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
