package dev.refusal4j.tokenizer;

import java.nio.file.Path;

final class GgufTokenizer {
    private GgufTokenizer() {}

    static Tokenizer load(Path file) {
        throw new TokenizerException(file + ": format not supported yet");
    }
}
