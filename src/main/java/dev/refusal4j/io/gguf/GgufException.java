package dev.refusal4j.io.gguf;

import dev.refusal4j.io.ModelFormatException;

/** A GGUF file that cannot be read; the message names the file and what is wrong. */
public final class GgufException extends ModelFormatException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message);
        initCause(cause);
    }
}
