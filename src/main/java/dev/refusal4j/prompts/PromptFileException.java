package dev.refusal4j.prompts;

import java.nio.file.Path;

/**
 * A prompt file that cannot be used; the message names the file, the line where known, and the
 * problem, on one line (line breaks in quoted text are written as \n).
 */
public final class PromptFileException extends IllegalArgumentException {
    public PromptFileException(Path file, String problem) {
        super("prompt file " + file + ": " + oneLine(problem));
    }

    public PromptFileException(Path file, int line, String problem) {
        super("prompt file " + file + ", line " + line + ": " + oneLine(problem));
    }

    private static String oneLine(String s) {
        return s.replace("\r", "\\r").replace("\n", "\\n");
    }
}
