package dev.refusal4j.chat.jinja;

/** One lexer token. Types follow jinja2's token names where it matters for the parser. */
record Token(Type type, String value, Object literal, int line) {
    enum Type { TEXT, BLOCK_BEGIN, BLOCK_END, VAR_BEGIN, VAR_END, NAME, STRING, INT, FLOAT, OP, EOF }

    boolean is(Type t, String v) { return type == t && value.equals(v); }

    boolean isName(String v) { return is(Type.NAME, v); }

    boolean isOp(String v) { return is(Type.OP, v); }

    String describe() {
        return switch (type) {
            case EOF -> "end of template";
            case BLOCK_END -> "end of statement block";
            case VAR_END -> "end of print statement";
            default -> value;
        };
    }
}
