package dev.refusal4j.chat.jinja;

/**
 * jinja2's default {@code Undefined}: prints as "", iterates as empty, is false, and raises when
 * used for attribute access, arithmetic or calls. {@code message} is what that error says.
 */
final class Undefined {
    final String message;
    final String kind; // exception raised on use: "UndefinedError", or "SecurityError" for unsafe methods

    Undefined(String message, String kind) {
        this.message = message;
        this.kind = kind;
    }

    /** A missing variable. */
    static Undefined name(String name) {
        return new Undefined("'" + name + "' is undefined", "UndefinedError");
    }

    /** A missing attribute or item of an existing object. */
    static Undefined attribute(Object obj, Object attr) {
        String what = obj == null ? "None" : Py.typeName(obj) + " object";
        if (attr instanceof String s) return new Undefined("'" + what + "' has no attribute '" + s + "'", "UndefinedError");
        return new Undefined("'" + what + "' has no element " + Py.repr(attr), "UndefinedError");
    }

    static Undefined hint(String message) {
        return new Undefined(message, "UndefinedError");
    }

    JinjaException fail() {
        return new JinjaException(kind, message);
    }

    @Override
    public String toString() {
        return "";
    }
}
