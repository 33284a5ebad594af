package dev.refusal4j.io.gguf;

/** A GGUF file that cannot be read; the message names the file and what is wrong. */
public final class GgufException extends RuntimeException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
