package dev.refusal4j.chat.jinja;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python value semantics for template values. Values are: String, Long (int), Double (float),
 * Boolean, null (None), {@link Undefined}, List (list; {@link PyTuple} for tuples), Map (dict, in
 * insertion order), {@link Namespace}, {@link LoopContext}, {@link JinjaCallable}.
 */
final class Py {
    private Py() {}

    static JinjaException typeError(String msg) {
        return new JinjaException("TypeError", msg);
    }

    /** Python's str.isspace() for one char (includes U+00A0, U+0085 and U+001C..U+001F). */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    static String typeName(Object v) {
        if (v == null) return "NoneType";
        if (v instanceof String) return "str";
        if (v instanceof Boolean) return "bool";
        if (v instanceof Long || v instanceof Integer) return "int";
        if (v instanceof Double || v instanceof Float) return "float";
        if (v instanceof PyTuple) return "tuple";
        if (v instanceof PyView pv) return pv.typeName;
        if (v instanceof PyIterator it) return it.typeName;
        if (v instanceof Markup) return "Markup";
        if (v instanceof List) return "list";
        if (v instanceof Map) return "dict";
        if (v instanceof Undefined) return "Undefined";
        if (v instanceof Namespace) return "Namespace";
        if (v instanceof LoopContext) return "LoopContext";
        if (v instanceof JinjaCallable) return "function";
        return v.getClass().getSimpleName();
    }

    static boolean truthy(Object v) {
        if (v == null || v instanceof Undefined) return false;
        if (v instanceof Boolean b) return b;
        if (v instanceof Long l) return l != 0;
        if (v instanceof Double d) return d != 0.0;
        if (v instanceof String s) return !s.isEmpty();
        if (v instanceof Markup m) return !m.text.isEmpty();
        if (v instanceof List<?> l) return !l.isEmpty();
        if (v instanceof Map<?, ?> m) return !m.isEmpty();
        return true;
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static long toLong(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).longValue();
    }

    static double toDouble(Object v) {
        if (v instanceof Boolean b) return b ? 1 : 0;
        return ((Number) v).doubleValue();
    }

    // ---- printing

    /** Python str(). */
    static String str(Object v) {
        if (v instanceof String s) return s;
        if (v == null) return "None";
        if (v instanceof Undefined) return "";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Long l) return Long.toString(l);
        if (v instanceof Double d) return floatRepr(d);
        if (v instanceof Markup m) return m.text;
        return repr(v);
    }

    /** Markup is a str subclass in Python: most operations see its text. */
    static Object unmarkup(Object v) {
        return v instanceof Markup m ? m.text : v;
    }

    /** Python repr(). */
    static String repr(Object v) {
        if (v instanceof String s) return strRepr(s);
        if (v instanceof Markup m) return "Markup(" + strRepr(m.text) + ")";
        if (v instanceof PyIterator it) return "<" + it.typeName + " object>";
        if (v instanceof PyView pv) {
            StringBuilder sb = new StringBuilder(pv.typeName).append("([");
            for (int i = 0; i < pv.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(repr(pv.get(i)));
                Limits.chars(sb.length());
            }
            return sb.append("])").toString();
        }
        if (v instanceof PyTuple t) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < t.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(repr(t.get(i)));
                Limits.chars(sb.length());
            }
            return sb.append(t.size() == 1 ? ",)" : ")").toString();
        }
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(repr(l.get(i)));
                Limits.chars(sb.length());
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
                Limits.chars(sb.length());
                first = false;
            }
            return sb.append('}').toString();
        }
        if (v instanceof Namespace ns) return "<Namespace " + repr(ns.attrs) + ">";
        if (v instanceof Undefined) return "Undefined";
        if (v instanceof JinjaCallable) return "<function>";
        return str(v);
    }

    static String strRepr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == q || c == '\\') sb.append('\\').append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        return sb.append(q).toString();
    }

    /** Python repr(float): shortest round-trip digits, scientific below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        // Java may print one digit more than the shortest round-trip form (4.9E-324 vs Python's 5e-324)
        while (bd.precision() > 1) {
            BigDecimal shorter = bd.round(new java.math.MathContext(bd.precision() - 1, java.math.RoundingMode.HALF_EVEN));
            if (shorter.doubleValue() != d) break;
            bd = shorter.stripTrailingZeros();
        }
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.abs().toPlainString();
            if (!plain.contains(".")) plain += ".0";
            return sign + plain;
        }
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = Integer.toString(Math.abs(exp));
        return sign + mant + "e" + (exp < 0 ? "-" : "+") + (e.length() < 2 ? "0" + e : e);
    }

    // ---- equality and ordering

    static boolean eq(Object a, Object b) {
        a = unmarkup(a);
        b = unmarkup(b);
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return toDouble(a) == toDouble(b);
            return toLong(a) == toLong(b);
        }
        if (a instanceof String s) return s.equals(b);
        if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if ((a instanceof PyTuple) != (b instanceof PyTuple) || (a instanceof PyView) || (b instanceof PyView)
                    || x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!eq(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    static int compare(Object a, Object b, String op) {
        a = unmarkup(a);
        b = unmarkup(b);
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return Double.compare(toDouble(a), toDouble(b));
            return Long.compare(toLong(a), toLong(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i), op);
            }
            return Integer.compare(x.size(), y.size());
        }
        if (a instanceof Undefined u) throw u.fail();
        if (b instanceof Undefined u) throw u.fail();
        throw typeError("'" + op + "' not supported between instances of '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    static int compareCodePoints(String x, String y) {
        int i = 0;
        int j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i);
            int b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Integer.compare(x.length() - i, y.length() - j);
    }

    static boolean contains(Object container, Object item) {
        container = unmarkup(container);
        item = unmarkup(item);
        if (container instanceof PyIterator it) container = it.consume();
        if (container instanceof String s) {
            if (item instanceof Undefined u) throw u.fail();
            if (!(item instanceof String x)) {
                throw typeError("'in <string>' requires string as left operand, not " + typeName(item));
            }
            return s.contains(x);
        }
        if (container instanceof Map<?, ?> m) {
            Limits.step(m.size());
            for (Object k : m.keySet()) if (eq(k, item)) return true;
            return false;
        }
        if (container instanceof Undefined) return false;
        if (container instanceof List<?> l) {
            Limits.step(l.size());
            for (Object o : l) if (eq(o, item)) return true;
            return false;
        }
        throw typeError("argument of type '" + typeName(container) + "' is not iterable");
    }

    // ---- iteration and size

    /** The items of a value as a new list (a string's code points, a dict's keys); each item is a step of work. */
    static List<Object> iterate(Object v) {
        v = unmarkup(v);
        if (v instanceof PyIterator it) return counted(new ArrayList<>(it.consume()));
        if (v instanceof List<?> l) return counted(new ArrayList<>(l));
        if (v instanceof Map<?, ?> m) return counted(new ArrayList<>(m.keySet()));
        if (v instanceof String s) {
            long n = s.codePointCount(0, s.length());
            Limits.items(n);
            Limits.step(n);
            List<Object> out = new ArrayList<>();
            s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
            return out;
        }
        if (v instanceof Undefined) return new ArrayList<>();
        if (v instanceof Namespace) throw typeError("'Namespace' object is not iterable");
        throw typeError("'" + typeName(v) + "' object is not iterable");
    }

    private static List<Object> counted(List<Object> items) {
        Limits.step(items.size());
        return items;
    }

    static long len(Object v) {
        v = unmarkup(v);
        if (v instanceof String s) return s.codePointCount(0, s.length());
        if (v instanceof List<?> l) return l.size();
        if (v instanceof Map<?, ?> m) return m.size();
        if (v instanceof Undefined) return 0;
        throw typeError("object of type '" + typeName(v) + "' has no len()");
    }

    // ---- attribute and item access (jinja2 sandbox getattr / getitem)

    /** {@code obj.name}: Python attribute (methods) first, then item. */
    static Object getattr(Object obj, String name) {
        if (obj instanceof Undefined u) throw u.fail();
        obj = unmarkup(obj);
        Object m = Methods.bind(obj, name);
        if (m != null) return m;
        if (obj instanceof Map<?, ?> map) {
            if (map.containsKey(name)) return map.get(name);
            return Undefined.attribute(obj, name);
        }
        if (obj instanceof Namespace ns) {
            return ns.attrs.containsKey(name) ? ns.attrs.get(name) : Undefined.attribute(obj, name);
        }
        if (obj instanceof LoopContext lc) return lc.attr(name);
        return Undefined.attribute(obj, name);
    }

    /** {@code obj[key]}: item first, then attribute for string keys. */
    static Object getitem(Object obj, Object key) {
        if (obj instanceof Undefined u) throw u.fail();
        obj = unmarkup(obj);
        key = unmarkup(key);
        if (obj instanceof Map<?, ?> map) {
            Object k = findKey(map, key);
            if (k != null || map.containsKey(null) && key == null) return map.get(k);
        } else if (obj instanceof List<?> l && isInt(key) && !(obj instanceof PyView)) {
            long i = toLong(key);
            if (i < 0) i += l.size();
            if (i >= 0 && i < l.size()) return l.get((int) i);
        } else if (obj instanceof String s && isInt(key)) {
            int n = s.codePointCount(0, s.length());
            long i = toLong(key);
            if (i < 0) i += n;
            if (i >= 0 && i < n) {
                int off = s.offsetByCodePoints(0, (int) i);
                return new String(Character.toChars(s.codePointAt(off)));
            }
        } else if (obj instanceof Namespace ns && key instanceof String k) {
            if (ns.attrs.containsKey(k)) return ns.attrs.get(k);
        }
        if (key instanceof String s) {
            Object m = Methods.bind(obj, s);
            if (m != null) return m;
            if (obj instanceof LoopContext lc) return lc.attr(s);
        }
        return Undefined.attribute(obj, key);
    }

    private static Object findKey(Map<?, ?> map, Object key) {
        if (map.containsKey(key)) return key;
        if (isNumber(key) || key instanceof String) {
            for (Object k : map.keySet()) if (eq(k, key)) return k;
        }
        return null;
    }

    /** {@code obj[start:stop:step]} for str and list, with Python's bounds rules. */
    static Object slice(Object obj, Object start, Object stop, Object step) {
        if (obj instanceof Undefined u) throw u.fail();
        obj = unmarkup(obj);
        long st = step == null ? 1 : toLong(step);
        if (st == 0) throw new JinjaException("ValueError", "slice step cannot be zero");
        List<Object> items;
        boolean isStr = obj instanceof String;
        if (isStr) items = iterate(obj);
        else if (obj instanceof List<?> l && !(obj instanceof PyView)) items = new ArrayList<>(l);
        else if (obj instanceof Map) throw typeError("unhashable type: 'slice'");
        else throw typeError("'" + typeName(obj) + "' object is not subscriptable"); // jinja2 slices without getitem's fallback
        int n = items.size();
        long lo;
        long hi;
        if (st > 0) {
            lo = start == null ? 0 : clampIndex(toLong(start), n, 0, n);
            hi = stop == null ? n : clampIndex(toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clampIndex(toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clampIndex(toLong(stop), n, -1, n - 1);
        }
        List<Object> out = new ArrayList<>();
        if (st > 0) for (long i = lo; i < hi; i += st) out.add(items.get((int) i));
        else for (long i = lo; i > hi; i += st) out.add(items.get((int) i));
        if (isStr) {
            StringBuilder sb = new StringBuilder();
            for (Object o : out) sb.append((String) o);
            return sb.toString();
        }
        return obj instanceof PyTuple ? PyTuple.of(out) : out;
    }

    private static long clampIndex(long i, int n, long min, long max) {
        if (i < 0) i += n;
        return Math.max(min, Math.min(max, i));
    }

    // ---- arithmetic

    static Object add(Object a, Object b) {
        failIfUndefined(a, b);
        if ((a instanceof Markup || b instanceof Markup) && (a instanceof String || a instanceof Markup)
                && (b instanceof String || b instanceof Markup)) {
            // Markup escapes the plain string added to it
            String x = a instanceof Markup m ? m.text : Markup.escape((String) a);
            String y = b instanceof Markup m ? m.text : Markup.escape((String) b);
            return new Markup(x + y);
        }
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Double || b instanceof Double) return toDouble(a) + toDouble(b);
            return toLong(a) + toLong(b);
        }
        if (a instanceof String x && b instanceof String y) {
            Limits.chars((long) x.length() + y.length());
            return x + y;
        }
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof PyTuple) == (b instanceof PyTuple)
                && !(a instanceof PyView) && !(b instanceof PyView)) {
            Limits.items((long) x.size() + y.size());
            List<Object> out = new ArrayList<>(x);
            out.addAll(y);
            return a instanceof PyTuple ? PyTuple.of(out) : out;
        }
        if (a instanceof String) throw typeError("can only concatenate str (not \"" + typeName(b) + "\") to str");
        if (a instanceof List && !(a instanceof PyTuple)) {
            throw typeError("can only concatenate list (not \"" + typeName(b) + "\") to list");
        }
        throw typeError("unsupported operand type(s) for +: '" + typeName(a) + "' and '" + typeName(b) + "'");
    }

    static Object arith(String op, Object a, Object b) {
        if (op.equals("+")) return add(a, b);
        a = unmarkup(a);
        b = unmarkup(b);
        failIfUndefined(a, b);
        if (op.equals("*")) {
            if (a instanceof String s && isInt(b)) return repeat(s, toLong(b));
            if (b instanceof String s && isInt(a)) return repeat(s, toLong(a));
            if (a instanceof List<?> l && isInt(b) || b instanceof List<?> && isInt(a)) {
                List<?> l = a instanceof List<?> x ? x : (List<?>) b;
                long times = toLong(a instanceof List ? b : a);
                if (times > 0 && !l.isEmpty()) Limits.items(times > Limits.MAX_ITEMS ? times : times * l.size());
                List<Object> out = new ArrayList<>();
                for (long i = 0; i < times; i++) out.addAll(l);
                return a instanceof PyTuple || b instanceof PyTuple ? PyTuple.of(out) : out;
            }
        }
        if (op.equals("%") && a instanceof String s) return Methods.percentFormat(s, b);
        if (!isNumber(a) || !isNumber(b)) {
            throw typeError("unsupported operand type(s) for " + op + ": '" + typeName(a) + "' and '" + typeName(b) + "'");
        }
        boolean f = a instanceof Double || b instanceof Double;
        switch (op) {
            case "-" -> { return f ? (Object) (toDouble(a) - toDouble(b)) : (Object) (toLong(a) - toLong(b)); }
            case "*" -> { return f ? (Object) (toDouble(a) * toDouble(b)) : (Object) (toLong(a) * toLong(b)); }
            case "/" -> {
                if (toDouble(b) == 0) throw new JinjaException("ZeroDivisionError", "division by zero");
                return toDouble(a) / toDouble(b);
            }
            case "//" -> {
                if (toDouble(b) == 0) throw new JinjaException("ZeroDivisionError", "integer division or modulo by zero");
                return f ? (Object) Math.floor(toDouble(a) / toDouble(b)) : (Object) Math.floorDiv(toLong(a), toLong(b));
            }
            case "%" -> {
                if (toDouble(b) == 0) throw new JinjaException("ZeroDivisionError", "integer division or modulo by zero");
                if (!f) return Math.floorMod(toLong(a), toLong(b));
                double x = toDouble(a);
                double y = toDouble(b);
                double r = x % y;
                return (r != 0 && (r < 0) != (y < 0)) ? r + y : r;
            }
            case "**" -> {
                if (!f && toLong(b) >= 0) return intPow(toLong(a), toLong(b));
                return Math.pow(toDouble(a), toDouble(b));
            }
            default -> throw new IllegalStateException(op);
        }
    }

    /** {@code s * times}: Python gives "" for times below 1. */
    static String repeat(String s, long times) {
        if (times <= 0 || s.isEmpty()) return "";
        Limits.chars(times > Limits.MAX_CHARS ? times : times * s.length());
        return s.repeat((int) times);
    }

    /** base ** exp by squaring: the same wrapped 64-bit value as exp multiplications, in log(exp) steps. */
    static long intPow(long base, long exp) {
        long r = 1;
        while (exp > 0) {
            if ((exp & 1) != 0) r *= base;
            base *= base;
            exp >>= 1;
        }
        return r;
    }

    static Object neg(Object a) {
        failIfUndefined(a, null);
        if (a instanceof Double d) return -d;
        if (isInt(a)) return -toLong(a);
        throw typeError("bad operand type for unary -: '" + typeName(a) + "'");
    }

    private static void failIfUndefined(Object a, Object b) {
        if (a instanceof Undefined u) throw u.fail();
        if (b instanceof Undefined u) throw u.fail();
    }

    // ---- strings

    static String strip(String s, String chars) { return rstrip(lstrip(s, chars), chars); }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && stripped(s.charAt(i), chars)) i++;
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && stripped(s.charAt(j - 1), chars)) j--;
        return s.substring(0, j);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python str.splitlines() line boundaries. */
    static List<String> splitlines(String s, boolean keepEnds) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            int eol = -1;
            if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') eol = 2;
            else if (c == '\n' || c == '\r' || c == '\u000b' || c == '\f' || c == '\u001c' || c == '\u001d'
                    || c == '\u001e' || c == '\u0085' || c == '\u2028' || c == '\u2029') eol = 1;
            if (eol > 0) {
                out.add(s.substring(start, keepEnds ? i + eol : i));
                i += eol;
                start = i;
            } else {
                i++;
            }
        }
        if (start < s.length()) out.add(s.substring(start));
        return out;
    }
}
