package dev.refusal4j.tokenizer;

/**
 * SentencePiece-style vocabularies (Llama, Mistral, Phi-3) have no pre-tokenizer: a whole text is
 * one BPE "word", and a long one makes the merge queue large and slow. When no vocabulary piece
 * has the space mark "▁" after another character, no piece can span the boundary before a "▁"
 * that follows a non-"▁" character, so merging each part separately gives the same tokens (merges
 * in different parts never interact) and lets short parts hit the word cache.
 */
final class SpaceMarkSplit {
    private SpaceMarkSplit() {}

    static final char MARK = '\u2581';
    static final int LONG_WORD = 256;

    /** True when every piece is a run of "▁" followed by characters other than "▁". */
    static boolean applies(Iterable<String> pieces) {
        for (String p : pieces) {
            int i = 0;
            while (i < p.length() && p.charAt(i) == MARK) i++;
            if (p.indexOf(MARK, i) >= 0) return false;
        }
        return true;
    }

    /** Encodes the parts of {@code word} in order, cut before every "▁" that follows a non-"▁" character. */
    static void encodeParts(String word, java.util.function.Consumer<String> encodePart) {
        int start = 0;
        for (int i = 1; i < word.length(); i++) {
            if (word.charAt(i) == MARK && word.charAt(i - 1) != MARK) {
                encodePart.accept(word.substring(start, i));
                start = i;
            }
        }
        encodePart.accept(word.substring(start));
    }
}
