package dev.refusal4j.chat.jinja;

import dev.refusal4j.chat.jinja.Node.Stmt;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A jinja2 template compiled the way Hugging Face compiles chat templates
 * ({@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with loop controls,
 * {@code tojson}, {@code raise_exception} and {@code strftime_now}).
 */
public final class Template {
    private final List<Stmt> body;

    private Template(List<Stmt> body) {
        this.body = body;
    }

    /** Parses the source; throws {@link JinjaException} (TemplateSyntaxError) when it does not parse. */
    public static Template parse(String source) {
        try {
            return new Template(Parser.parse(source));
        } catch (StackOverflowError e) { // Parser counts nesting (Limits.MAX_NESTING); this is the backstop
            throw Limits.exceeded("the template's nesting", Limits.MAX_NESTING, "MAX_NESTING (the Java stack ran out)");
        }
    }

    /** Renders with the given variables; {@code now} is what {@code strftime_now} formats. */
    public String render(Map<String, ?> variables, LocalDateTime now) {
        Interpreter in = new Interpreter();
        Interpreter.Scope globals = new Interpreter.Scope(null);
        installGlobals(globals.vars, now);
        Interpreter.Scope root = new Interpreter.Scope(globals);
        for (Map.Entry<String, ?> e : variables.entrySet()) root.vars.put(e.getKey(), fromJava(e.getValue()));
        StringBuilder out = new StringBuilder();
        long[] outerSteps = Limits.begin();
        try {
            in.render(body, root, out);
        } catch (JinjaException e) {
            throw new RenderException(e, in.errorContext());
        } catch (RenderException e) {
            throw e;
        } catch (RuntimeException e) {
            // a Java failure the value helpers did not anticipate: still report it as a template error
            throw new RenderException(new JinjaException("TemplateError", "internal error: " + e), in.errorContext());
        } catch (StackOverflowError e) {
            throw new RenderException(new JinjaException("RecursionError", "maximum recursion depth exceeded"), in.errorContext());
        } catch (OutOfMemoryError e) {
            // the limits keep a render far below a normal heap; this is for a JVM started with a tiny one
            out = null;
            throw new RenderException(new JinjaException(Limits.KIND, "the Java heap ran out while rendering"
                    + " (the template builds more than this JVM's heap holds)"), in.errorContext());
        } finally {
            Limits.end(outerSteps);
        }
        return out.toString();
    }

    /** A render error with, when known, the conversation message being rendered. */
    public static final class RenderException extends RuntimeException {
        private final JinjaException cause;
        private final String context;

        RenderException(JinjaException cause, String context) {
            super(cause.describe() + (context == null ? "" : " while rendering " + context), cause);
            this.cause = cause;
            this.context = context;
        }

        public String kind() { return cause.kind(); }

        /** e.g. "message 0 (role 'system')", or null. */
        public String context() { return context; }

        public String templateMessage() { return cause.getMessage(); }

        /** "Kind: message (template line N)". */
        public String getMessageWithoutContext() { return cause.describe(); }
    }

    private static void installGlobals(Map<String, Object> g, LocalDateTime now) {
        g.put("raise_exception", (JinjaCallable) (a, k) -> {
            throw new JinjaException("TemplateError", Py.str(a.isEmpty() ? k.get("message") : a.get(0)));
        });
        g.put("strftime_now", (JinjaCallable) (a, k) -> Strftime.format(now, Py.str(a.get(0))));
        g.put("range", (JinjaCallable) (a, k) -> {
            long start = a.size() > 1 ? Py.toLong(a.get(0)) : 0;
            long stop = Py.toLong(a.size() > 1 ? a.get(1) : a.get(0));
            long step = a.size() > 2 ? Py.toLong(a.get(2)) : 1;
            if (step == 0) throw new JinjaException("ValueError", "range() arg 3 must not be zero");
            List<Object> out = new ArrayList<>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step) {
                if (out.size() >= Limits.MAX_RANGE) throw new JinjaException("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
                out.add(i);
            }
            return out;
        });
        g.put("namespace", (JinjaCallable) (a, k) -> {
            Namespace ns = new Namespace();
            for (Object o : a) if (o instanceof Map<?, ?> m) m.forEach((x, y) -> ns.attrs.put(Py.str(x), y));
            ns.attrs.putAll(k);
            return ns;
        });
        g.put("dict", (JinjaCallable) (a, k) -> {
            Map<Object, Object> d = new LinkedHashMap<>();
            for (Object o : a) if (o instanceof Map<?, ?> m) d.putAll(m);
            d.putAll(k);
            return d;
        });
        g.put("joiner", (JinjaCallable) (a, k) -> {
            String sep = a.isEmpty() ? ", " : Py.str(a.get(0));
            boolean[] used = {false};
            return (JinjaCallable) (x, y) -> {
                if (!used[0]) { used[0] = true; return ""; }
                return sep;
            };
        });
    }

    /** Java values (Jackson-parsed JSON, user maps) to the template's Python-like values. */
    static Object fromJava(Object v) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Long || v instanceof Double) return v;
        if (v instanceof Integer || v instanceof Short || v instanceof Byte || v instanceof java.math.BigInteger) {
            return ((Number) v).longValue();
        }
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof Character c) return c.toString();
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((x, y) -> out.put(fromJava(x), fromJava(y)));
            return out;
        }
        if (v instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            for (Object o : it) out.add(fromJava(o));
            return out;
        }
        if (v instanceof Object[] arr) {
            List<Object> out = new ArrayList<>();
            for (Object o : arr) out.add(fromJava(o));
            return out;
        }
        return v.toString();
    }
}
