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
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(java.util.Locale.ROOT));
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

    static boolean exists(String name) {
        try {
            apply(name, null, List.of(), Map.of());
            return true;
        } catch (JinjaException e) {
            return !e.getMessage().startsWith("No test named");
        } catch (RuntimeException e) {
            return true;
        }
    }
}
