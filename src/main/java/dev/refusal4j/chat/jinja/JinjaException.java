package dev.refusal4j.chat.jinja;

/**
 * An error raised while parsing or rendering a template. {@code kind} mirrors the Python exception
 * class jinja2 would raise (TemplateSyntaxError, TemplateError, UndefinedError, TypeError,
 * SecurityError ...) so messages read the same as Hugging Face's.
 */
public final class JinjaException extends RuntimeException {
    private final String kind;
    private final int line; // 1-based template line, 0 when unknown

    public JinjaException(String kind, String message, int line) {
        super(message);
        this.kind = kind;
        this.line = line;
    }

    public JinjaException(String kind, String message) {
        this(kind, message, 0);
    }

    public String kind() { return kind; }

    public int line() { return line; }

    /** Same exception with the line filled in (errors thrown deep in value helpers do not know it). */
    JinjaException atLine(int l) {
        return line != 0 || l == 0 ? this : new JinjaException(kind, getMessage(), l);
    }

    /** "Kind: message (line N)" as a user would want to read it. */
    public String describe() {
        return kind + ": " + getMessage() + (line > 0 ? " (template line " + line + ")" : "");
    }
}
