package dev.refusal4j.prompts;

import java.util.Locale;

/**
 * The few Python {@code str} operations the public refusal judges are written with. Java's
 * {@code strip()} and Python's {@code str.strip()} disagree on some characters (Python strips
 * U+00A0, U+2007, U+202F and the separators U+001C..U+001F; Java does not), so exact label
 * reproduction needs Python's definition of whitespace.
 */
public final class PyText {
    private PyText() {}

    /** Python's {@code str.isspace()} for one code point. */
    public static boolean isSpace(int c) {
        return switch (c) {
            case '\t', '\n', 0x0B, '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680,
                 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> c >= 0x2000 && c <= 0x200A;
        };
    }

    /** Python's {@code s.lower()} (locale-independent; same mapping tables for practical text). */
    public static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** Python's {@code s.strip()} with no arguments. */
    public static String strip(String s) {
        int from = 0, to = s.length();
        while (from < to && isSpace(s.codePointAt(from))) from += Character.charCount(s.codePointAt(from));
        while (to > from && isSpace(s.codePointBefore(to))) to -= Character.charCount(s.codePointBefore(to));
        return s.substring(from, to);
    }

    /** Python's {@code " ".join(s.split())}: runs of whitespace become one space, ends trimmed. */
    public static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean pendingSpace = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (isSpace(c)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) out.append(' ');
                pendingSpace = false;
                out.appendCodePoint(c);
            }
        }
        return out.toString();
    }
}
