package dev.refusal4j.chat.jinja;

/**
 * markupsafe's {@code Markup} (what {@code |safe} and {@code |escape} return): a string that
 * HTML-escapes plain strings added to it. Templates rely on it only through {@code +}; elsewhere
 * it behaves as its text.
 */
final class Markup {
    final String text;

    Markup(String text) {
        this.text = text;
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&#34;").replace("'", "&#39;");
    }

    @Override
    public String toString() {
        return text;
    }
}
