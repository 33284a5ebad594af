package dev.refusal4j.tokenizer;

/** The part of a tokenizer that turns one pre-tokenized word into ids, and its vocabulary. */
interface Model {
    /**
     * The largest id a vocabulary file may give a token: 2^24 - 1, far above any real vocabulary
     * (the largest have about 2^18), so that a damaged id never becomes a huge id table.
     */
    int MAX_ID = (1 << 24) - 1;

    /** Whether a JSON value is a token id: a whole number in [0, {@link #MAX_ID}]. */
    static boolean isId(com.fasterxml.jackson.databind.JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToInt() && n.asInt() >= 0 && n.asInt() <= MAX_ID;
    }

    /** Appends the ids of {@code word} to {@code out}. */
    void encode(String word, IntList out);

    /** Vocabulary string of an id, or null when the model has no such id. */
    String token(int id);

    /** Id of a vocabulary string, or -1. */
    int id(String token);

    /** One more than the largest id. */
    int size();
}
