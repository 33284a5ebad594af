package dev.refusal4j.tokenizer;

/** The part of a tokenizer that turns one pre-tokenized word into ids, and its vocabulary. */
interface Model {
    /** Appends the ids of {@code word} to {@code out}. */
    void encode(String word, IntList out);

    /** Vocabulary string of an id, or null when the model has no such id. */
    String token(int id);

    /** Id of a vocabulary string, or -1. */
    int id(String token);

    /** One more than the largest id. */
    int size();
}
