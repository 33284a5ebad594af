package dev.refusal4j.tokenizer;

import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Text to token ids and back, with the ids Hugging Face's tokenizers produce for the same files.
 * Special tokens written in the text are recognized (Hugging Face's default
 * {@code split_special_tokens=False}).
 */
public interface Tokenizer {
    /** Ids of {@code text}; {@code addSpecialTokens} adds what the post-processor adds (e.g. BOS). */
    int[] encode(String text, boolean addSpecialTokens);

    String decode(int[] ids, boolean skipSpecialTokens);

    /** Vocabulary string of the id. */
    String piece(int id);

    int vocabSize();

    OptionalInt tokenId(String token);

    boolean isSpecial(int id);

    /** From tokenizer_config.json / special_tokens_map.json / the post-processor / GGUF metadata. */
    OptionalInt bosId();

    OptionalInt eosId();

    /** Feed ids one by one, get back only complete UTF-8 text (never half a character). */
    default StreamingDecoder streamingDecoder() {
        return new StreamingDecoder(this, false);
    }

    /** Tokens of a chat-template rendering: encode(text, true) but a BOS the text already starts with is not added again. */
    default int[] encodeRendered(String renderedText) {
        int[] ids = encode(renderedText, true);
        OptionalInt bos = bosId();
        if (bos.isPresent() && ids.length >= 2 && ids[0] == bos.getAsInt() && ids[1] == bos.getAsInt()) {
            int[] plain = encode(renderedText, false);
            if (plain.length > 0 && plain[0] == bos.getAsInt()) return java.util.Arrays.copyOfRange(ids, 1, ids.length);
        }
        return ids;
    }

    /**
     * Loads the tokenizer of a model folder: tokenizer.json, else vocab.json + merges.txt, else
     * tokenizer.model (SentencePiece), else a *.tiktoken file; or the vocabulary of a .gguf file.
     */
    static Tokenizer load(Path modelDir) {
        return TokenizerLoader.load(modelDir);
    }
}
