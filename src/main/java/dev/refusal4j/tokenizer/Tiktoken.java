package dev.refusal4j.tokenizer;

import java.nio.file.Path;

final class Tiktoken {
    private Tiktoken() {}

    static Tokenizer load(Path file) {
        throw new TokenizerException(file + ": format not supported yet");
    }
}
