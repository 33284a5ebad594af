package dev.refusal4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} as Hugging Face's {@code tojson} filter calls it: ensure_ascii=False,
 * optional indent (number or string), separators, sort_keys.
 */
final class Json {
    private final String indent;   // null: one line
    private final String itemSep;
    private final String keySep;
    private final boolean sortKeys;
    private final boolean ensureAscii; // escape all but printable ASCII as \\uXXXX (UTF-16 units), as Python does

    private Json(String indent, String itemSep, String keySep, boolean sortKeys, boolean ensureAscii) {
        this.indent = indent;
        this.itemSep = itemSep;
        this.keySep = keySep;
        this.sortKeys = sortKeys;
        this.ensureAscii = ensureAscii;
    }

    static String dumps(Object value, Object indent, Object separators, boolean sortKeys) {
        return dumps(value, indent, separators, sortKeys, false);
    }

    static String dumps(Object value, Object indent, Object separators, boolean sortKeys, boolean ensureAscii) {
        String ind = indent == null ? null : indent instanceof String s ? s : Py.repeat(" ", Py.toLong(indent));
        String itemSep = ind == null ? ", " : ",";
        String keySep = ": ";
        if (separators instanceof List<?> l && l.size() == 2) {
            itemSep = (String) l.get(0);
            keySep = (String) l.get(1);
        }
        StringBuilder sb = new StringBuilder();
        new Json(ind, itemSep, keySep, sortKeys, ensureAscii).write(sb, value, 0);
        return sb.toString();
    }

    private void newline(StringBuilder sb, int level) {
        if (indent != null) {
            Limits.chars(sb.length() + 1 + (long) indent.length() * level);
            sb.append('\n').append(indent.repeat(level));
        }
    }

    private void write(StringBuilder sb, Object v, int level) {
        if (v == null) sb.append("null");
        else if (v instanceof Boolean b) sb.append(b ? "true" : "false");
        else if (v instanceof Long l) sb.append(l);
        else if (v instanceof Double d) sb.append(floatJson(d));
        else if (v instanceof String s) quote(sb, s, ensureAscii);
        else if (v instanceof Markup m) quote(sb, m.text, ensureAscii);
        else if (v instanceof List<?> l && !(v instanceof PyView)) {
            if (l.isEmpty()) { sb.append("[]"); return; }
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(itemSep);
                newline(sb, level + 1);
                write(sb, l.get(i), level + 1);
                Limits.chars(sb.length());
            }
            newline(sb, level);
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) { sb.append("{}"); return; }
            List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
            if (sortKeys) entries.sort((x, y) -> Py.compare(x.getKey(), y.getKey(), "<"));
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) sb.append(itemSep);
                first = false;
                newline(sb, level + 1);
                quote(sb, key(e.getKey()), ensureAscii);
                sb.append(keySep);
                write(sb, e.getValue(), level + 1);
                Limits.chars(sb.length());
            }
            newline(sb, level);
            sb.append('}');
        } else {
            throw Py.typeError("Object of type " + Py.typeName(v) + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        if (k instanceof String s) return s;
        if (k == null) return "null";
        if (k instanceof Boolean b) return b ? "true" : "false";
        if (k instanceof Long l) return Long.toString(l);
        if (k instanceof Double d) return floatJson(d);
        throw Py.typeError("keys must be str, int, float, bool or None, not " + Py.typeName(k));
    }

    private static String floatJson(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (Double.isInfinite(d)) return d > 0 ? "Infinity" : "-Infinity";
        return Py.floatRepr(d);
    }

    static void quote(StringBuilder sb, String s, boolean ensureAscii) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
