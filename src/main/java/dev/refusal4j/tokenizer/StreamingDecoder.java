package dev.refusal4j.tokenizer;

import java.util.Arrays;

/**
 * Decodes ids as they are generated and hands out only text that is complete: a character whose
 * bytes are split over several tokens comes out once its last byte has arrived. Like Hugging
 * Face's DecodeStream it decodes a short window of recent ids and returns what the new id added,
 * so decoders that look at neighbours (leading-space strip, byte fallback) stay exact.
 */
public final class StreamingDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[0]; // window of recent ids
    private String prefix = "";     // decode of ids[0 .. prefixIndex)
    private int prefixIndex;

    public StreamingDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one id; returns the new complete text ("" while a character is still incomplete). */
    public String next(int id) {
        ids = Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = id;
        String text = tokenizer.decode(ids, skipSpecialTokens);
        if (text.length() > prefix.length() && !text.endsWith("\uFFFD")) {
            String added = text.startsWith(prefix) ? text.substring(prefix.length()) : text;
            int newPrefixIndex = ids.length - prefixIndex;
            ids = Arrays.copyOfRange(ids, prefixIndex, ids.length);
            prefix = tokenizer.decode(ids, skipSpecialTokens);
            prefixIndex = newPrefixIndex;
            return added;
        }
        return "";
    }

    /** Text still held back (an incomplete character at the end of the stream), decoded as is. */
    public String flush() {
        String text = tokenizer.decode(ids, skipSpecialTokens);
        String rest = text.length() > prefix.length() && text.startsWith(prefix) ? text.substring(prefix.length()) : "";
        ids = new int[0];
        prefix = "";
        prefixIndex = 0;
        return rest;
    }
}
