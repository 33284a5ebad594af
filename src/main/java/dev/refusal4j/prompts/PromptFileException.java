package dev.refusal4j.prompts;

import java.nio.file.Path;

/** A prompt file that cannot be used; the message names the file, the line where known, and the problem. */
public final class PromptFileException extends IllegalArgumentException {
    public PromptFileException(Path file, String problem) {
        super("prompt file " + file + ": " + problem);
    }

    public PromptFileException(Path file, int line, String problem) {
        super("prompt file " + file + ", line " + line + ": " + problem);
    }
}
