package dev.refusal4j.organism.bpe;

import java.nio.file.Path;
import java.util.List;

/**
 * A trained byte-level BPE vocabulary.
 *
 * @param tokens   BPE tokens in id order, as byte-level strings: the 256 byte characters, then merge results
 * @param merges   merges in rank order, each {left, right}
 * @param specials special tokens; their ids follow the BPE tokens in this order
 */
public record BpeModel(List<String> tokens, List<String[]> merges, List<String> specials) {
    public BpeModel {
        tokens = List.copyOf(tokens);
        merges = List.copyOf(merges);
        specials = List.copyOf(specials);
    }

    /** Size of the whole vocabulary, special tokens included. */
    public int vocabSize() {
        return tokens.size() + specials.size();
    }

    /** Id of a special token. */
    public int specialId(String special) {
        int i = specials.indexOf(special);
        if (i < 0) throw new IllegalArgumentException("not a special token: " + special);
        return tokens.size() + i;
    }

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} (with the ChatML template),
     * {@code special_tokens_map.json} and {@code generation_config.json} into {@code dir}.
     */
    public void writeTokenizerFiles(Path dir, int modelMaxLength) {
        TokenizerFiles.write(this, dir, modelMaxLength);
    }
}
