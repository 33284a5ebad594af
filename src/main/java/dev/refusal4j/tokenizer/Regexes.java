package dev.refusal4j.tokenizer;

import java.util.regex.Pattern;

/**
 * Compiles the Oniguruma patterns of tokenizer files with {@link java.util.regex}. With
 * UNICODE_CHARACTER_CLASS, {@code \s} is the White_Space property and {@code \d}, {@code \w} are
 * Unicode classes as in Oniguruma; {@code (?i)} then folds case over Unicode (so the
 * contractions of Llama-3's pattern also match 'ſ' and 'K' as Oniguruma does). Lookahead,
 * possessive quantifiers and {@code \p{..}} categories have the same meaning in both engines.
 */
final class Regexes {
    private Regexes() {}

    /** GPT-2's split pattern (the ByteLevel pre-tokenizer with use_regex). */
    static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Llama-3's split pattern. */
    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Qwen2's split pattern (Llama-3's with single digits). */
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static Pattern compile(String onigPattern) {
        // Oniguruma's ^ and $ are line anchors and only \n ends a line: MULTILINE + UNIX_LINES.
        return Pattern.compile(onigPattern, Pattern.UNICODE_CHARACTER_CLASS | Pattern.MULTILINE | Pattern.UNIX_LINES);
    }
}
