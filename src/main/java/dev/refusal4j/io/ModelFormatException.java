package dev.refusal4j.io;

import java.nio.file.Path;

/** A model or data file that cannot be used; the message names the file and what is wrong. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public ModelFormatException(String message) {
        super(message);
    }
}
