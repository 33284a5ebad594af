package dev.refusal4j.chat.jinja;

import java.util.List;
import java.util.Map;

/** jinja2's built-in tests ({@code x is defined}, {@code x is string} ...). */
final class Tests {
    private Tests() {}

    static boolean apply(String name, Object v, List<Object> args, Map<String, Object> kw) {
        Object a0 = args.isEmpty() ? kw.values().stream().findFirst().orElse(null) : args.get(0);
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> Py.isNumber(v);
            case "string" -> v instanceof String || v instanceof Markup;
            case "mapping" -> v instanceof Map;
            case "iterable" -> v instanceof String || v instanceof Markup || v instanceof List || v instanceof Map
                    || v instanceof Undefined || v instanceof LoopContext || v instanceof PyIterator;
            case "sequence" -> v instanceof String || v instanceof Markup || (v instanceof List && !(v instanceof PyView))
                    || v instanceof Map || v instanceof Undefined;
            case "callable" -> v instanceof JinjaCallable;
            case "sameas" -> v == a0 || (v != null && Py.isNumber(v) && v.equals(a0));
            case "escaped" -> v instanceof Markup;
            case "lower" -> isCased(Py.str(v), false);
            case "upper" -> isCased(Py.str(v), true);
            case "even" -> Py.toLong(v) % 2 == 0;
            case "odd" -> Py.toLong(v) % 2 != 0;
            case "divisibleby" -> Py.toLong(v) % Py.toLong(a0) == 0;
            case "eq", "equalto", "==" -> Py.eq(v, a0);
            case "ne", "!=" -> !Py.eq(v, a0);
            case "lt", "lessthan", "<" -> Py.compare(v, a0, "<") < 0;
            case "le", "<=" -> Py.compare(v, a0, "<=") <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(v, a0, ">") > 0;
            case "ge", ">=" -> Py.compare(v, a0, ">=") >= 0;
            case "in" -> Py.contains(a0, v);
            case "filter" -> v instanceof String s && Filters.exists(s);
            case "test" -> v instanceof String s && exists(s);
            default -> throw new JinjaException("TemplateRuntimeError", "No test named '" + name + "'.");
        };
    }

    /** Python's str.isupper() / islower(): at least one cased char, and every cased char in that case. */
    private static boolean isCased(String s, boolean upper) {
        boolean any = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) {
                if (!upper) return false;
                any = true;
            } else if (Character.isLowerCase(cp)) {
                if (upper) return false;
                any = true;
            }
        }
        return any;
    }

    private static final java.util.Set<String> NAMES = java.util.Set.of("defined", "undefined", "none", "boolean",
            "true", "false", "integer", "float", "number", "string", "mapping", "iterable", "sequence", "callable",
            "sameas", "escaped", "lower", "upper", "even", "odd", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
            "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "filter", "test");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }
}
