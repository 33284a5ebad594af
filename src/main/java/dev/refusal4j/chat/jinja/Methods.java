package dev.refusal4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods of str, dict and list that chat templates call, bound to their receiver.
 * Mutating methods are refused as jinja2's ImmutableSandboxedEnvironment refuses them.
 */
final class Methods {
    private Methods() {}

    private static final Set<String> UNSAFE_LIST = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear");
    private static final Set<String> UNSAFE_DICT = Set.of("pop", "popitem", "setdefault", "update", "clear");

    static Object arg(List<Object> args, Map<String, Object> kw, int i, String name, Object dflt) {
        if (i < args.size()) return args.get(i);
        if (kw.containsKey(name)) return kw.get(name);
        return dflt;
    }

    private static String optStr(Object o) {
        if (o == null) return null;
        if (o instanceof String s) return s;
        throw Py.typeError("expected str, got " + Py.typeName(o));
    }

    private static int optInt(Object o, int dflt) {
        return o == null ? dflt : (int) Py.toLong(o);
    }

    /** The bound method {@code obj.name}, an unsafe-undefined for mutators, or null when there is none. */
    static Object bind(Object obj, String name) {
        obj = Py.unmarkup(obj);
        if (obj instanceof String s) return strMethod(s, name);
        if (obj instanceof Map<?, ?> m) {
            if (UNSAFE_DICT.contains(name)) return unsafe(obj, name);
            return dictMethod(m, name);
        }
        if (obj instanceof List<?> l && !(obj instanceof PyView)) {
            if (UNSAFE_LIST.contains(name) && !(obj instanceof PyTuple)) return unsafe(obj, name);
            return listMethod(l, name);
        }
        return null;
    }

    private static Undefined unsafe(Object obj, String name) {
        return new Undefined("access to attribute '" + name + "' of '" + Py.typeName(obj) + "' object is unsafe.",
                "SecurityError");
    }

    private static JinjaCallable dictMethod(Map<?, ?> m, String name) {
        return switch (name) {
            case "items" -> (a, k) -> {
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(new PyTuple(e.getKey(), e.getValue()));
                return new PyView("dict_items", out);
            };
            case "keys" -> (a, k) -> new PyView("dict_keys", new ArrayList<Object>(m.keySet()));
            case "values" -> (a, k) -> new PyView("dict_values", new ArrayList<Object>(m.values()));
            case "get" -> (a, k) -> {
                Object key = arg(a, k, 0, "key", null);
                Object v = Py.getitem(m, key);
                return v instanceof Undefined || (v instanceof JinjaCallable && !m.containsKey(key)) ? arg(a, k, 1, "default", null) : v;
            };
            case "copy" -> (a, k) -> new java.util.LinkedHashMap<Object, Object>(m);
            default -> null;
        };
    }

    private static JinjaCallable listMethod(List<?> l, String name) {
        return switch (name) {
            case "index" -> (a, k) -> {
                Limits.step(l.size());
                for (int i = 0; i < l.size(); i++) if (Py.eq(l.get(i), a.get(0))) return (long) i;
                throw new JinjaException("ValueError", Py.repr(a.get(0)) + " is not in list");
            };
            case "count" -> (a, k) -> {
                Limits.step(l.size());
                long n = 0;
                for (Object o : l) if (Py.eq(o, a.get(0))) n++;
                return n;
            };
            case "copy" -> (a, k) -> new ArrayList<Object>(l);
            default -> null;
        };
    }

    private static JinjaCallable strMethod(String s, String name) {
        return switch (name) {
            case "strip" -> (a, k) -> Py.strip(s, optStr(arg(a, k, 0, "chars", null)));
            case "lstrip" -> (a, k) -> Py.lstrip(s, optStr(arg(a, k, 0, "chars", null)));
            case "rstrip" -> (a, k) -> Py.rstrip(s, optStr(arg(a, k, 0, "chars", null)));
            case "split" -> (a, k) -> split(s, optStr(arg(a, k, 0, "sep", null)), optInt(arg(a, k, 1, "maxsplit", null), -1));
            case "rsplit" -> (a, k) -> rsplit(s, optStr(arg(a, k, 0, "sep", null)), optInt(arg(a, k, 1, "maxsplit", null), -1));
            case "startswith" -> (a, k) -> affix(s, a.get(0), true, optInt(arg(a, k, 1, "start", null), 0));
            case "endswith" -> (a, k) -> affix(s, a.get(0), false, 0);
            case "upper" -> (a, k) -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower", "casefold" -> (a, k) -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> (a, k) -> title(s);
            case "capitalize" -> (a, k) -> capitalize(s);
            case "swapcase" -> (a, k) -> swapcase(s);
            case "replace" -> (a, k) -> replace(s, (String) a.get(0), (String) a.get(1), optInt(arg(a, k, 2, "count", null), -1));
            case "find" -> (a, k) -> (long) cpIndex(s, s.indexOf((String) a.get(0)));
            case "rfind" -> (a, k) -> (long) cpIndex(s, s.lastIndexOf((String) a.get(0)));
            case "index" -> (a, k) -> {
                int i = s.indexOf((String) a.get(0));
                if (i < 0) throw new JinjaException("ValueError", "substring not found");
                return (long) cpIndex(s, i);
            };
            case "count" -> (a, k) -> {
                String sub = (String) a.get(0);
                if (sub.isEmpty()) return Py.len(s) + 1;
                long n = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
                return n;
            };
            case "join" -> (a, k) -> {
                StringBuilder sb = new StringBuilder();
                List<Object> items = Py.iterate(a.get(0));
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String x)) {
                        throw Py.typeError("sequence item " + i + ": expected str instance, " + Py.typeName(items.get(i)) + " found");
                    }
                    sb.append(i > 0 ? s : "").append(x);
                    Limits.chars(sb.length());
                }
                return sb.toString();
            };
            case "format" -> (a, k) -> format(s, a, k);
            case "splitlines" -> (a, k) -> new ArrayList<Object>(Py.splitlines(s, Py.truthy(arg(a, k, 0, "keepends", false))));
            case "isdigit", "isnumeric", "isdecimal" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> (a, k) -> !s.isEmpty() && s.chars().allMatch(c -> Py.isSpace((char) c));
            case "isupper" -> (a, k) -> Tests.apply("upper", s, List.of(), Map.of());
            case "islower" -> (a, k) -> Tests.apply("lower", s, List.of(), Map.of());
            case "zfill" -> (a, k) -> {
                long w = Py.toLong(a.get(0));
                if (s.length() >= w) return s;
                Limits.chars(w);
                int signLen = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+') ? 1 : 0;
                return s.substring(0, signLen) + "0".repeat((int) w - s.length()) + s.substring(signLen);
            };
            case "center" -> (a, k) -> center(s, Py.toLong(a.get(0)), a.size() > 1 ? (String) a.get(1) : " ");
            case "ljust" -> (a, k) -> pad(s, Py.toLong(a.get(0)), a.size() > 1 ? (String) a.get(1) : " ", true);
            case "rjust" -> (a, k) -> pad(s, Py.toLong(a.get(0)), a.size() > 1 ? (String) a.get(1) : " ", false);
            case "partition" -> (a, k) -> {
                String sep = (String) a.get(0);
                int i = s.indexOf(sep);
                return i < 0 ? new PyTuple(s, "", "") : new PyTuple(s.substring(0, i), sep, s.substring(i + sep.length()));
            };
            case "rpartition" -> (a, k) -> {
                String sep = (String) a.get(0);
                int i = s.lastIndexOf(sep);
                return i < 0 ? new PyTuple("", "", s) : new PyTuple(s.substring(0, i), sep, s.substring(i + sep.length()));
            };
            case "removeprefix" -> (a, k) -> s.startsWith((String) a.get(0)) ? s.substring(((String) a.get(0)).length()) : s;
            case "removesuffix" -> (a, k) -> {
                String x = (String) a.get(0);
                return !x.isEmpty() && s.endsWith(x) ? s.substring(0, s.length() - x.length()) : s;
            };
            default -> null;
        };
    }

    private static int cpIndex(String s, int charIndex) {
        return charIndex < 0 ? -1 : s.codePointCount(0, charIndex);
    }

    private static boolean affix(String s, Object what, boolean prefix, int start) {
        if (start < 0) start = Math.max(0, (int) Py.len(s) + start);
        String t = start >= s.length() ? (start == s.length() ? "" : null) : s.substring(s.offsetByCodePoints(0, Math.min(start, (int) Py.len(s))));
        if (t == null) return false;
        if (what instanceof List<?> options) {
            for (Object o : options) if (affix(t, o, prefix, 0)) return true;
            return false;
        }
        if (!(what instanceof String w)) {
            throw Py.typeError((prefix ? "startswith" : "endswith") + " first arg must be str or a tuple of str, not " + Py.typeName(what));
        }
        return prefix ? t.startsWith(w) : t.endsWith(w);
    }

    static List<Object> split(String s, String sep, int maxsplit) {
        List<Object> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Py.isSpace(s.charAt(i))) i++;
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(Py.rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !Py.isSpace(s.charAt(j))) j++;
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new JinjaException("ValueError", "empty separator");
        int start = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int i = s.indexOf(sep, start);
            if (i < 0) break;
            out.add(s.substring(start, i));
            start = i + sep.length();
        }
        out.add(s.substring(start));
        return out;
    }

    static List<Object> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) return split(s, sep, -1);
        if (sep == null) {
            List<Object> out = new ArrayList<>();
            int j = s.length();
            while (true) {
                while (j > 0 && Py.isSpace(s.charAt(j - 1))) j--;
                if (j <= 0) break;
                if (out.size() == maxsplit) {
                    out.add(0, Py.lstrip(s.substring(0, j), null));
                    break;
                }
                int i = j;
                while (i > 0 && !Py.isSpace(s.charAt(i - 1))) i--;
                out.add(0, s.substring(i, j));
                j = i;
            }
            return out;
        }
        List<Object> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int i = s.lastIndexOf(sep, end - sep.length());
            if (i < 0) break;
            out.add(0, s.substring(i + sep.length(), end));
            end = i;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    static String replace(String s, String old, String neu, int count) {
        if (neu.length() > old.length()) { // the result can grow: check its size before building it
            long n = old.isEmpty() ? s.codePointCount(0, s.length()) + 1L : occurrences(s, old);
            if (count >= 0) n = Math.min(n, count);
            Limits.chars(s.length() + n * (neu.length() - old.length()));
        }
        if (count < 0) {
            if (old.isEmpty()) {
                StringBuilder sb = new StringBuilder(neu);
                s.codePoints().forEach(cp -> sb.appendCodePoint(cp).append(neu));
                return sb.toString();
            }
            return s.replace(old, neu);
        }
        StringBuilder sb = new StringBuilder();
        int start = 0;
        int done = 0;
        while (done < count) {
            int i = s.indexOf(old, start);
            if (i < 0 || old.isEmpty()) break;
            sb.append(s, start, i).append(neu);
            start = i + old.length();
            done++;
        }
        return sb.append(s.substring(start)).toString();
    }

    private static long occurrences(String s, String sub) {
        long n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
        return n;
    }

    static String title(String s) {
        StringBuilder sb = new StringBuilder();
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            boolean cased = Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
            sb.appendCodePoint(prevCased ? Character.toLowerCase(cp) : Character.toTitleCase(cp));
            prevCased = cased;
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int cp = s.codePointAt(0);
        int n = Character.charCount(cp);
        return new String(Character.toChars(Character.toTitleCase(cp))) + s.substring(n).toLowerCase(java.util.Locale.ROOT);
    }

    private static String swapcase(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.appendCodePoint(Character.isUpperCase(cp) ? Character.toLowerCase(cp)
                : Character.isLowerCase(cp) ? Character.toUpperCase(cp) : cp));
        return sb.toString();
    }

    static String center(String s, long width, String fill) {
        int n = (int) Py.len(s);
        if (n >= width) return s;
        Limits.chars(width);
        int total = (int) width - n;
        int left = total / 2 + (total & (int) width & 1);
        return fill.repeat(left) + s + fill.repeat(total - left);
    }

    private static String pad(String s, long width, String fill, boolean left) {
        int n = (int) Py.len(s);
        if (n >= width) return s;
        Limits.chars(width);
        return left ? s + fill.repeat((int) width - n) : fill.repeat((int) width - n) + s;
    }

    /** str.format with "{}", "{0}" and "{name}" fields (format specs are not supported). */
    static String format(String s, List<Object> args, Map<String, Object> kw) {
        StringBuilder sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') { sb.append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') { sb.append('}'); i++; continue; }
            if (c != '{') { sb.append(c); continue; }
            int end = s.indexOf('}', i);
            if (end < 0) throw new JinjaException("ValueError", "Single '{' encountered in format string");
            String field = s.substring(i + 1, end);
            int colon = field.indexOf(':');
            if (colon >= 0) field = field.substring(0, colon);
            Object v;
            if (field.isEmpty()) v = args.get(auto++);
            else if (field.chars().allMatch(Character::isDigit)) v = args.get(Integer.parseInt(field));
            else v = kw.get(field);
            sb.append(Py.str(v));
            Limits.chars(sb.length());
            i = end;
        }
        return sb.toString();
    }

    private static final java.util.regex.Pattern PERCENT =
            java.util.regex.Pattern.compile("%(?:\\(([^)]*)\\))?([-+ 0#]*)(\\d+)?(?:\\.(\\d+))?([sdifrxXeEgGc%])");

    private static String signed(String digits, String flags) {
        if (digits.startsWith("-")) return digits;
        return flags.contains("+") ? "+" + digits : flags.contains(" ") ? " " + digits : digits;
    }

    /** The {@code "..." % value} operator: printf-style conversions with flags, width and precision. */
    static String percentFormat(String s, Object value) {
        List<Object> vals = value instanceof PyTuple t ? new ArrayList<>(t) : new ArrayList<>(java.util.Collections.singletonList(value));
        java.util.regex.Matcher m = PERCENT.matcher(s);
        StringBuilder sb = new StringBuilder();
        int vi = 0;
        int last = 0;
        while (m.find()) {
            sb.append(s, last, m.start());
            last = m.end();
            char conv = m.group(5).charAt(0);
            if (conv == '%') { sb.append('%'); continue; }
            Object v;
            if (m.group(1) != null && value instanceof Map<?, ?> map) v = map.get(m.group(1));
            else if (vi < vals.size()) v = vals.get(vi++);
            else throw Py.typeError("not enough arguments for format string");
            String flags = m.group(2);
            String width = m.group(3) == null ? "" : m.group(3);
            String prec = m.group(4);
            if (prec != null) Limits.chars(Long.parseLong(prec)); // digits after the point
            String body = switch (conv) {
                case 's' -> prec == null ? Py.str(v) : Py.str(v).substring(0, Math.min(Py.str(v).length(), Integer.parseInt(prec)));
                case 'r' -> Py.repr(v);
                case 'c' -> v instanceof String x ? x : new String(Character.toChars((int) Py.toLong(v)));
                case 'd', 'i' -> signed(java.math.BigDecimal.valueOf(v instanceof Double d ? (long) d.doubleValue() : Py.toLong(v)).toPlainString(), flags);
                case 'x', 'X' -> signed(conv == 'x' ? Long.toHexString(Py.toLong(v)) : Long.toHexString(Py.toLong(v)).toUpperCase(), flags);
                case 'f', 'F' -> signed(new java.math.BigDecimal(Py.toDouble(v))
                        .setScale(prec == null ? 6 : Integer.parseInt(prec), java.math.RoundingMode.HALF_EVEN).toPlainString(), flags);
                default -> String.format("%." + (prec == null ? "6" : prec) + conv, Py.toDouble(v));
            };
            if (!width.isEmpty() && body.length() < Long.parseLong(width)) {
                Limits.chars(Long.parseLong(width));
                int pad = Integer.parseInt(width) - body.length();
                if (flags.contains("-")) body = body + " ".repeat(pad);
                else if (flags.contains("0") && conv != 's' && conv != 'r') {
                    int signLen = body.startsWith("-") || body.startsWith("+") ? 1 : 0;
                    body = body.substring(0, signLen) + "0".repeat(pad) + body.substring(signLen);
                } else body = " ".repeat(pad) + body;
            }
            sb.append(body);
            Limits.chars(sb.length());
        }
        // Python skips the check when the operand supports indexing (dict, list) but is not a tuple or str
        boolean indexable = value instanceof Map || (value instanceof List && !(value instanceof PyTuple));
        if (vi < vals.size() && !indexable) {
            throw Py.typeError("not all arguments converted during string formatting");
        }
        return sb.append(s.substring(last)).toString();
    }
}
