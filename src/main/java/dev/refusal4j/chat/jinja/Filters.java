package dev.refusal4j.chat.jinja;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** jinja2's built-in filters, with Hugging Face's {@code tojson}. */
final class Filters {
    private Filters() {}

    private static final Set<String> NAMES = Set.of("abs", "attr", "batch", "capitalize", "center", "count", "d",
            "default", "dictsort", "e", "escape", "first", "float", "forceescape", "format", "indent", "int", "items",
            "join", "last", "length", "list", "lower", "map", "max", "min", "pprint", "reject", "rejectattr", "replace",
            "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim",
            "unique", "upper", "wordcount");

    static boolean exists(String name) {
        return NAMES.contains(name);
    }

    private static Object arg(List<Object> a, Map<String, Object> kw, int i, String name, Object dflt) {
        return Methods.arg(a, kw, i, name, dflt);
    }

    private static String softStr(Object v) {
        return Py.str(v);
    }

    @SuppressWarnings("unchecked")
    static Object apply(String name, Object v, List<Object> a, Map<String, Object> kw) {
        if (!NAMES.contains(name)) throw new JinjaException("TemplateAssertionError", "No filter named '" + name + "'.");
        if (!Py.truthy(v) && Set.of("map", "select", "reject", "selectattr", "rejectattr").contains(name)) {
            return PyIterator.generator(new ArrayList<>()); // jinja2 guards these with "if value:" (None gives nothing)
        }
        // these are generator functions in jinja2: one-shot, always true, no len(), not JSON serializable,
        // and their errors only surface when they are iterated
        if (Set.of("map", "select", "reject", "selectattr", "rejectattr", "items", "unique", "batch").contains(name)) {
            try {
                return PyIterator.generator((List<Object>) applyEager(name, v, a, kw));
            } catch (JinjaException e) {
                if (e.getMessage().startsWith("No filter named") || e.getMessage().startsWith("No test named")) throw e;
                return PyIterator.failing(e);
            }
        }
        return applyEager(name, v, a, kw);
    }

    @SuppressWarnings("unchecked")
    private static Object applyEager(String name, Object v, List<Object> a, Map<String, Object> kw) {
        switch (name) {
            case "default", "d" -> {
                boolean bool = Py.truthy(arg(a, kw, 1, "boolean", false));
                return v instanceof Undefined || (bool && !Py.truthy(v)) ? arg(a, kw, 0, "default_value", "") : v;
            }
            case "length", "count" -> { return Py.len(v); }
            case "string" -> { return v instanceof Markup ? v : softStr(v); }
            case "safe" -> { return v instanceof Markup ? v : new Markup(softStr(v)); }
            case "e", "escape" -> { return v instanceof Markup ? v : new Markup(Markup.escape(softStr(v))); }
            case "forceescape" -> { return new Markup(Markup.escape(softStr(v))); }
            case "trim" -> { return Py.strip(softStr(v), (String) arg(a, kw, 0, "chars", null)); }
            case "upper" -> { return softStr(v).toUpperCase(Locale.ROOT); }
            case "lower" -> { return softStr(v).toLowerCase(Locale.ROOT); }
            case "title" -> { return title(softStr(v)); }
            case "capitalize" -> { return Methods.capitalize(softStr(v)); }
            case "center" -> { return Methods.center(softStr(v), Py.toLong(arg(a, kw, 0, "width", 80L)), " "); }
            case "replace" -> {
                Object count = arg(a, kw, 2, "count", null);
                return Methods.replace(softStr(v), softStr(a.get(0)), softStr(a.get(1)), count == null ? -1 : (int) Py.toLong(count));
            }
            case "wordcount" -> { return java.util.regex.Pattern.compile("\\w+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS).matcher(softStr(v)).results().count(); }
            case "format" -> { return Methods.percentFormat(softStr(v), kw.isEmpty() ? PyTuple.of(a) : new LinkedHashMap<Object, Object>(kw)); }
            case "pprint" -> { return Py.repr(v); }
            case "join" -> { return join(v, softStr(arg(a, kw, 0, "d", "")), arg(a, kw, 1, "attribute", null)); }
            case "list" -> { return Py.iterate(v); }
            case "items" -> {
                if (v instanceof Undefined) return new ArrayList<>();
                if (!(v instanceof Map<?, ?> m)) throw Py.typeError("Can only get item pairs from a mapping.");
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(new PyTuple(e.getKey(), e.getValue()));
                return out;
            }
            case "first" -> {
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? Undefined.hint("No first item, sequence was empty.") : l.get(0);
            }
            case "last" -> {
                if (v instanceof PyIterator it) throw Py.typeError("'" + it.typeName + "' object is not reversible");
                List<Object> l = Py.iterate(v);
                return l.isEmpty() ? Undefined.hint("No last item, sequence was empty.") : l.get(l.size() - 1);
            }
            case "reverse" -> {
                if (v instanceof String || v instanceof Markup) {
                    List<Object> cps = Py.iterate(v);
                    java.util.Collections.reverse(cps);
                    return String.join("", cps.stream().map(o -> (String) o).toList());
                }
                List<Object> l = Py.iterate(v);
                java.util.Collections.reverse(l);
                if (v instanceof List && !(v instanceof PyView)) return new PyIterator("list_reverseiterator", l);
                if (v instanceof Map) return new PyIterator("dict_reversekeyiterator", l);
                return l;
            }
            case "tojson" -> {
                return Json.dumps(v, arg(a, kw, 1, "indent", null), arg(a, kw, 2, "separators", null),
                        Py.truthy(arg(a, kw, 3, "sort_keys", false)), Py.truthy(arg(a, kw, 0, "ensure_ascii", false)));
            }
            case "indent" -> {
                if (!(v instanceof String || v instanceof Markup)) {
                    throw Py.typeError("unsupported operand type(s) for +=: '" + Py.typeName(v) + "' and 'str'");
                }
                Object w = arg(a, kw, 0, "width", 4L);
                String ind = w instanceof String s ? s : Py.repeat(" ", Py.toLong(w));
                return indent(softStr(v), ind, Py.truthy(arg(a, kw, 1, "first", false)), Py.truthy(arg(a, kw, 2, "blank", false)));
            }
            case "int" -> { return toInt(v, arg(a, kw, 0, "default", 0L), (int) Py.toLong(arg(a, kw, 1, "base", 10L))); }
            case "float" -> { return toFloat(v, arg(a, kw, 0, "default", 0.0)); }
            case "abs" -> { return v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.abs(Py.toLong(v)); }
            case "round" -> {
                // beyond these a double rounds to itself or to 0: the clamp gives Python's result without a huge BigDecimal
                int prec = (int) Math.max(-400, Math.min(1100, Py.toLong(arg(a, kw, 0, "precision", 0L))));
                if (Py.isInt(v) && "common".equals(arg(a, kw, 1, "method", "common"))) return Py.toLong(v); // round(int) is an int
                String method = (String) arg(a, kw, 1, "method", "common");
                double x = Py.toDouble(v);
                java.math.RoundingMode mode = switch (method) {
                    case "ceil" -> java.math.RoundingMode.CEILING;
                    case "floor" -> java.math.RoundingMode.FLOOR;
                    default -> java.math.RoundingMode.HALF_EVEN;
                };
                return new java.math.BigDecimal(x).setScale(prec, mode).doubleValue();
            }
            case "sum" -> {
                Object attr = arg(a, kw, 0, "attribute", null);
                Object total = arg(a, kw, 1, "start", 0L);
                for (Object o : Py.iterate(v)) total = Py.add(total, attr == null ? o : attrGet(o, attr));
                return total;
            }
            case "min", "max" -> {
                List<Object> l = Py.iterate(v);
                if (l.isEmpty()) return Undefined.hint("No aggregated item, sequence was empty.");
                Comparator<Object> c = keyComparator(Py.truthy(arg(a, kw, 0, "case_sensitive", false)), arg(a, kw, 1, "attribute", null));
                Object best = l.get(0);
                for (Object o : l) if (name.equals("min") ? c.compare(o, best) < 0 : c.compare(o, best) > 0) best = o;
                return best;
            }
            case "sort" -> {
                List<Object> l = Py.iterate(v);
                Comparator<Object> c = keyComparator(Py.truthy(arg(a, kw, 1, "case_sensitive", false)), arg(a, kw, 2, "attribute", null));
                l.sort(Py.truthy(arg(a, kw, 0, "reverse", false)) ? c.reversed() : c);
                return l;
            }
            case "unique" -> {
                boolean cs = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
                Object attr = arg(a, kw, 1, "attribute", null);
                List<Object> out = new ArrayList<>();
                List<Object> seen = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    Object k = attr == null ? o : attrGet(o, attr);
                    if (!cs && k instanceof String s) k = s.toLowerCase(Locale.ROOT);
                    final Object key = k;
                    Limits.step(seen.size());
                    if (seen.stream().noneMatch(x -> Py.eq(x, key))) {
                        seen.add(key);
                        out.add(o);
                    }
                }
                return out;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) throw Py.typeError("You can only sort by either \"key\" or \"value\"");
                boolean cs = Py.truthy(arg(a, kw, 0, "case_sensitive", false));
                boolean byValue = "value".equals(arg(a, kw, 1, "by", "key"));
                List<Object> items = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) items.add(new PyTuple(e.getKey(), e.getValue()));
                Comparator<Object> c = (x, y) -> {
                    Object kx = ((PyTuple) x).get(byValue ? 1 : 0);
                    Object ky = ((PyTuple) y).get(byValue ? 1 : 0);
                    if (!cs && kx instanceof String s) kx = s.toLowerCase(Locale.ROOT);
                    if (!cs && ky instanceof String s) ky = s.toLowerCase(Locale.ROOT);
                    return Py.compare(kx, ky, "<");
                };
                items.sort(Py.truthy(arg(a, kw, 2, "reverse", false)) ? c.reversed() : c);
                return items;
            }
            case "selectattr", "rejectattr" -> {
                boolean select = name.equals("selectattr");
                Object attr = a.get(0);
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    Object val = attrGet(o, attr);
                    boolean ok = a.size() < 2 ? Py.truthy(val) : Tests.apply((String) a.get(1), val, a.subList(2, a.size()), kw);
                    if (ok == select) out.add(o);
                }
                return out;
            }
            case "select", "reject" -> {
                boolean select = name.equals("select");
                List<Object> out = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    boolean ok = a.isEmpty() ? Py.truthy(o) : Tests.apply((String) a.get(0), o, a.subList(1, a.size()), kw);
                    if (ok == select) out.add(o);
                }
                return out;
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                if (kw.containsKey("attribute")) {
                    for (Object o : Py.iterate(v)) {
                        Object val = attrGet(o, kw.get("attribute"));
                        out.add(val instanceof Undefined && kw.containsKey("default") ? kw.get("default") : val);
                    }
                    return out;
                }
                String f = (String) a.get(0);
                for (Object o : Py.iterate(v)) out.add(apply(f, o, a.subList(1, a.size()), kw));
                return out;
            }
            case "attr" -> { return Py.getattr(v, softStr(a.get(0))); }
            case "batch" -> {
                long size = Py.toLong(a.get(0));
                Object fill = arg(a, kw, 1, "fill_with", null);
                if (fill != null) Limits.items(size);
                int n = (int) Math.min(size, Integer.MAX_VALUE);
                List<Object> out = new ArrayList<>();
                List<Object> cur = new ArrayList<>();
                for (Object o : Py.iterate(v)) {
                    cur.add(o);
                    if (cur.size() == n) { out.add(cur); cur = new ArrayList<>(); }
                }
                if (!cur.isEmpty()) {
                    if (fill != null) while (cur.size() < n) cur.add(fill);
                    out.add(cur);
                }
                return out;
            }
            default -> throw new JinjaException("TemplateAssertionError", "No filter named '" + name + "'.");
        }
    }

    /** jinja2's make_attrgetter: dotted path, item lookup first, integer parts as indices. */
    static Object attrGet(Object o, Object attr) {
        if (!(attr instanceof String path)) return Py.getitem(o, attr);
        Object cur = o;
        for (String part : path.split("\\.")) {
            Object key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? (Object) Long.parseLong(part) : part;
            cur = Py.getitem(cur, key);
        }
        return cur;
    }

    private static Comparator<Object> keyComparator(boolean caseSensitive, Object attr) {
        return (x, y) -> {
            Object kx = attr == null ? x : attrGet(x, attr);
            Object ky = attr == null ? y : attrGet(y, attr);
            if (!caseSensitive && kx instanceof String s) kx = s.toLowerCase(Locale.ROOT);
            if (!caseSensitive && ky instanceof String s) ky = s.toLowerCase(Locale.ROOT);
            return Py.compare(kx, ky, "<");
        };
    }

    private static String join(Object v, String sep, Object attr) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Object o : Py.iterate(v)) {
            if (!first) sb.append(sep);
            first = false;
            sb.append(softStr(attr == null ? o : attrGet(o, attr)));
            Limits.chars(sb.length());
        }
        return sb.toString();
    }

    /** jinja2's title filter: words start after "-", whitespace, "(", "{", "[" or "<" (not after "'"). */
    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean start = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean sep = c == '-' || Py.isSpace(c) || c == '(' || c == '{' || c == '[' || c == '<';
            if (sep) sb.append(c);
            else sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = sep;
        }
        return sb.toString();
    }

    static String indent(String s, String ind, boolean first, boolean blank) {
        s = s + "\n"; // jinja2 appends a newline so splitlines keeps a trailing empty line
        List<String> lines = Py.splitlines(s, false);
        StringBuilder rv = new StringBuilder();
        Limits.chars(s.length() + (long) lines.size() * ind.length()); // at most one indent per line
        if (blank) {
            rv.append(String.join("\n" + ind, lines));
        } else {
            rv.append(lines.get(0));
            for (int i = 1; i < lines.size(); i++) {
                rv.append('\n');
                if (!lines.get(i).isEmpty()) rv.append(ind);
                rv.append(lines.get(i));
            }
        }
        return first ? ind + rv : rv.toString();
    }

    private static Object toInt(Object v, Object dflt, int base) {
        if (v instanceof Long) return v;
        if (v instanceof Boolean b) return b ? 1L : 0L;
        if (v instanceof Double d) return (long) d.doubleValue();
        if (v instanceof String s) {
            String t = Py.strip(s, null).replace("_", "");
            try {
                return Long.parseLong(t.startsWith("+") ? t.substring(1) : t, base);
            } catch (NumberFormatException e) {
                try {
                    return (long) Double.parseDouble(t);
                } catch (NumberFormatException e2) {
                    return dflt;
                }
            }
        }
        return dflt;
    }

    private static Object toFloat(Object v, Object dflt) {
        if (Py.isNumber(v)) return Py.toDouble(v);
        if (v instanceof String s) {
            try {
                return Double.parseDouble(Py.strip(s, null));
            } catch (NumberFormatException e) {
                return dflt;
            }
        }
        return dflt;
    }
}
