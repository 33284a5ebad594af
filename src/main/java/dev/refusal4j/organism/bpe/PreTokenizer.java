package dev.refusal4j.organism.bpe;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into pieces before BPE, with the split regex of Qwen2 (Llama-3's pattern with single
 * digits): contractions, words with one optional leading non-letter (usually the space), single digits,
 * punctuation runs with an optional leading space, and whitespace runs where the last space stays
 * with the following word. The same pattern string goes into tokenizer.json, where Hugging Face
 * evaluates it with Oniguruma; Java's engine agrees on it when {@code \s} means Unicode white space.
 */
public final class PreTokenizer {
    public static final String SPLIT_REGEX =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final Pattern PATTERN = Pattern.compile(SPLIT_REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    private PreTokenizer() {}

    /** The pieces of {@code text}, in order; their concatenation is the text. */
    public static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        Matcher m = PATTERN.matcher(text);
        int end = 0;
        while (m.find()) {
            if (m.start() != end) throw new IllegalStateException("split regex skipped text at " + end);
            pieces.add(m.group());
            end = m.end();
        }
        if (end != text.length()) throw new IllegalStateException("split regex skipped text at " + end);
        return pieces;
    }
}
