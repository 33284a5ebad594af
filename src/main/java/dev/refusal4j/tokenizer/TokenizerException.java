package dev.refusal4j.tokenizer;

/**
 * A tokenizer file that cannot be used; the message names the file and what is wrong with it, on
 * one line (line breaks in a quoted token or key are written as \n).
 */
public final class TokenizerException extends RuntimeException {
    public TokenizerException(String message) {
        super(oneLine(message));
    }

    public TokenizerException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static String oneLine(String message) {
        return message == null ? null : message.replace("\r", "\\r").replace("\n", "\\n");
    }
}
