package dev.refusal4j.tokenizer;

/**
 * A token matched as a whole in the text before the model runs (tokenizer.json
 * {@code added_tokens}). {@code normalized}: matched in the normalized text instead of the raw
 * text; {@code lstrip}/{@code rstrip}: swallows the white space on that side;
 * {@code singleWord}: only matches where it is not inside a word; {@code special}: dropped by
 * decode(skipSpecialTokens).
 */
record AddedToken(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
                  boolean special) {

    static AddedToken special(int id, String content) {
        return new AddedToken(id, content, false, false, false, false, true);
    }
}
