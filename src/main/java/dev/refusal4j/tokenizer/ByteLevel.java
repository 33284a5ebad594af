package dev.refusal4j.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * GPT-2's reversible map between the 256 byte values and printable characters, so that byte-level
 * BPE tokens are ordinary strings without spaces or control characters. Printable Latin-1 bytes
 * stand for themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen) are moved to U+0100
 * and up in byte order, so the space becomes 'Ġ' and the newline 'Ċ'.
 */
public final class ByteLevel {
    private ByteLevel() {}

    private static final char[] BYTE_TO_CHAR = new char[256]; // [byte] -> printable char
    private static final int[] CHAR_TO_BYTE = new int[0x200];  // [char] -> byte, -1 when none

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    /** The UTF-8 bytes of {@code s}, each written as its printable character. */
    public static String encode(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** Inverse of {@link #encode}: byte-level characters back to text (invalid UTF-8 becomes U+FFFD). */
    public static String decode(CharSequence byteLevel) {
        byte[] bytes = new byte[byteLevel.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = byteOf(byteLevel.charAt(i));
            if (b < 0) throw new IllegalArgumentException("not a byte-level character: U+" + Integer.toHexString(byteLevel.charAt(i)));
            bytes[i] = (byte) b;
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** The printable character that stands for byte {@code b}. */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a printable character stands for, or -1 when it stands for none. */
    public static int byteOf(int c) {
        return c >= 0 && c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /**
     * Appends the bytes of a token to {@code out}: the mapped bytes when every character is a
     * byte character, else the token's own UTF-8 (how Hugging Face decodes added tokens).
     */
    static void appendBytes(String token, java.io.ByteArrayOutputStream out) {
        for (int i = 0; i < token.length(); i++) {
            if (byteOf(token.charAt(i)) < 0) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
        }
        for (int i = 0; i < token.length(); i++) out.write(byteOf(token.charAt(i)));
    }
}
