package dev.refusal4j.chat;

/**
 * A chat template that is missing, malformed, does not parse, raises, or rejects the
 * conversation. The message names the template's source file and, when known, the message at fault.
 */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
