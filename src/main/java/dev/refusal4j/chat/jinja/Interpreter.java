package dev.refusal4j.chat.jinja;

import dev.refusal4j.chat.jinja.Node.*;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders a parsed template with jinja2's scoping: for-loop bodies and macros get their own scope. */
final class Interpreter {
    /** Thrown by {% break %} / {% continue %}; no stack trace, they are control flow. */
    private static final class LoopControl extends RuntimeException {
        final boolean isBreak;

        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopControl BREAK = new LoopControl(true);
    private static final LoopControl CONTINUE = new LoopControl(false);
    private static final Object MISSING = new Object();

    static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) { this.parent = parent; }

        Object lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Object v = s.vars.getOrDefault(name, MISSING);
                if (v != MISSING) return v;
            }
            return MISSING;
        }
    }

    private String context; // where rendering was when an error happened (message index and role)
    private int callDepth;  // macro and recursive loop() calls in progress

    String errorContext() { return context; }

    void render(List<Stmt> body, Scope scope, StringBuilder out) {
        for (Stmt s : body) exec(s, scope, out);
    }

    private void exec(Stmt s, Scope scope, StringBuilder out) {
        Limits.step(1);
        switch (s) {
            case Text t -> {
                out.append(t.text());
                Limits.output(out.length());
            }
            case Output o -> {
                Object v = eval(o.expr(), scope, o.line());
                out.append(Py.str(v));
                try {
                    Limits.output(out.length());
                } catch (JinjaException e) {
                    throw e.atLine(o.line());
                }
            }
            case If f -> {
                for (int i = 0; i < f.tests().size(); i++) {
                    if (Py.truthy(eval(f.tests().get(i), scope, f.line()))) {
                        render(f.bodies().get(i), scope, out);
                        return;
                    }
                }
                render(f.orElse(), scope, out);
            }
            case For f -> execFor(f, scope, out);
            case Assign a -> assign(a.target(), eval(a.value(), scope, a.line()), scope, a.line());
            case SetBlock b -> {
                StringBuilder sb = new StringBuilder();
                render(b.body(), scope, sb);
                Object v = sb.toString();
                for (Filter f : b.filters()) v = applyFilter(f, v, scope);
                assign(b.target(), v, scope, b.line());
            }
            case Macro m -> scope.vars.put(m.name(), macro(m, scope));
            case FilterBlock fb -> {
                StringBuilder sb = new StringBuilder();
                render(fb.body(), scope, sb);
                Object v = sb.toString();
                for (Filter f : fb.filters()) v = applyFilter(f, v, scope);
                out.append(Py.str(v));
                Limits.output(out.length());
            }
            case Break b -> throw BREAK;
            case Continue c -> throw CONTINUE;
            case Group g -> render(g.body(), scope, out);
            case With w -> {
                Scope inner = new Scope(scope);
                for (int i = 0; i < w.targets().size(); i++) assign(w.targets().get(i), eval(w.values().get(i), scope, w.line()), inner, w.line());
                render(w.body(), inner, out);
            }
        }
    }

    private void execFor(For f, Scope scope, StringBuilder out) {
        runLoop(f, eval(f.iter(), scope, f.line()), scope, out, 0);
    }

    private void runLoop(For f, Object seq, Scope scope, StringBuilder out, int depth0) {
        List<Object> items;
        try {
            items = Py.iterate(seq);
        } catch (JinjaException e) {
            throw e.atLine(f.line());
        }
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                Scope s = new Scope(scope);
                assign(f.target(), item, s, f.line());
                if (Py.truthy(eval(f.filter(), s, f.line()))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            render(f.orElse(), new Scope(scope), out);
            return;
        }
        JinjaCallable recurse = !f.recursive() ? null : (args, kw) -> {
            StringBuilder sb = new StringBuilder();
            enterCall(f.line());
            try {
                runLoop(f, args.isEmpty() ? Undefined.hint("missing loop argument") : args.get(0), scope, sb, depth0 + 1);
            } finally {
                callDepth--;
            }
            return sb.toString();
        };
        LoopContext loop = new LoopContext(items, depth0, recurse);
        for (int i = 0; i < items.size(); i++) {
            Limits.step(1);
            loop.index0 = i;
            Scope s = new Scope(scope);
            Object item = items.get(i);
            assign(f.target(), item, s, f.line());
            s.vars.put("loop", loop);
            try {
                render(f.body(), s, out);
            } catch (LoopControl c) {
                if (c.isBreak) break;
            } catch (JinjaException e) {
                if (context == null && item instanceof Map<?, ?> m && m.get("role") instanceof String role) {
                    context = "message " + i + " (role '" + role + "')";
                }
                throw e;
            }
        }
    }

    private void assign(Target t, Object value, Scope scope, int line) {
        switch (t) {
            case NameTarget n -> scope.vars.put(n.name(), value);
            case NsTarget n -> {
                Object ns = scope.lookup(n.ns());
                if (!(ns instanceof Namespace namespace)) {
                    throw new JinjaException("TemplateRuntimeError", "cannot assign attribute on non-namespace object", line);
                }
                namespace.attrs.put(n.attr(), value);
            }
            case TupleTarget tt -> {
                List<Object> vals = Py.iterate(value);
                if (vals.size() != tt.items().size()) {
                    throw new JinjaException("ValueError", (vals.size() > tt.items().size() ? "too many" : "not enough")
                            + " values to unpack (expected " + tt.items().size() + ", got " + vals.size() + ")", line);
                }
                for (int i = 0; i < vals.size(); i++) assign(tt.items().get(i), vals.get(i), scope, line);
            }
        }
    }

    private JinjaCallable macro(Macro m, Scope defScope) {
        return (args, kwargs) -> {
            Scope s = new Scope(defScope);
            Map<String, Object> kw = new LinkedHashMap<>(kwargs);
            for (int i = 0; i < m.params().size(); i++) {
                String p = m.params().get(i);
                Object v;
                if (i < args.size()) v = args.get(i);
                else if (kw.containsKey(p)) v = kw.remove(p);
                else if (m.defaults().get(i) != null) v = eval(m.defaults().get(i), s, m.line());
                else v = Undefined.hint("parameter '" + p + "' was not provided");
                s.vars.put(p, v);
            }
            s.vars.put("varargs", args.size() > m.params().size()
                    ? PyTuple.of(args.subList(m.params().size(), args.size())) : new PyTuple());
            s.vars.put("kwargs", new LinkedHashMap<Object, Object>(kw));
            StringBuilder sb = new StringBuilder();
            enterCall(m.line());
            try {
                render(m.body(), s, sb);
            } finally {
                callDepth--;
            }
            return sb.toString();
        };
    }

    private void enterCall(int line) {
        if (callDepth >= Limits.MAX_CALL_DEPTH) {
            throw Limits.exceeded("the depth of nested macro and loop() calls", Limits.MAX_CALL_DEPTH, "MAX_CALL_DEPTH").atLine(line);
        }
        callDepth++;
    }

    // ---- expressions

    Object eval(Expr e, Scope scope, int line) {
        try {
            return evalInner(e, scope);
        } catch (JinjaException ex) {
            throw ex.atLine(line);
        } catch (LoopControl | Template.RenderException ex) {
            throw ex;
        } catch (ClassCastException | IndexOutOfBoundsException | IllegalArgumentException
                 | ArithmeticException | NullPointerException ex) {
            // a value of the wrong type reached a method or filter (Python would raise TypeError)
            throw new JinjaException("TypeError", "bad argument: " + ex.getMessage(), line);
        }
    }

    private Object evalInner(Expr e, Scope scope) {
        switch (e) {
            case Const c -> { return c.value(); }
            case Name n -> {
                Object v = scope.lookup(n.name());
                return v == MISSING ? Undefined.name(n.name()) : v;
            }
            case ListLit l -> {
                List<Object> out = new ArrayList<>();
                for (Expr x : l.items()) out.add(evalInner(x, scope));
                return out;
            }
            case TupleLit t -> {
                List<Object> out = new ArrayList<>();
                for (Expr x : t.items()) out.add(evalInner(x, scope));
                return PyTuple.of(out);
            }
            case DictLit d -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) out.put(evalInner(d.keys().get(i), scope), evalInner(d.values().get(i), scope));
                return out;
            }
            case GetAttr g -> { return Py.getattr(evalInner(g.obj(), scope), g.attr()); }
            case GetItem g -> {
                Object obj = evalInner(g.obj(), scope);
                if (g.key() instanceof Slice sl) {
                    return Py.slice(obj, opt(sl.start(), scope), opt(sl.stop(), scope), opt(sl.step(), scope));
                }
                return Py.getitem(obj, evalInner(g.key(), scope));
            }
            case Slice sl -> throw new JinjaException("TemplateSyntaxError", "slice outside of subscript");
            case Call c -> {
                Object fn = evalInner(c.fn(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kw = new LinkedHashMap<>();
                evalArgs(c.args(), scope, args, kw);
                if (fn instanceof Undefined u) throw u.fail();
                if (!(fn instanceof JinjaCallable jc)) throw Py.typeError("'" + Py.typeName(fn) + "' object is not callable");
                return jc.call(args, kw);
            }
            case Filter f -> { return applyFilter(f, evalInner(f.value(), scope), scope); }
            case Test t -> {
                Object v = evalInner(t.value(), scope);
                List<Object> args = new ArrayList<>();
                Map<String, Object> kw = new LinkedHashMap<>();
                evalArgs(t.args(), scope, args, kw);
                return Tests.apply(t.name(), v, args, kw);
            }
            case Unary u -> {
                Object v = evalInner(u.operand(), scope);
                return switch (u.op()) {
                    case "not" -> !Py.truthy(v);
                    case "-" -> Py.neg(v);
                    default -> {
                        if (v instanceof Undefined und) throw und.fail();
                        yield v;
                    }
                };
            }
            case Binary b -> {
                Object l = evalInner(b.left(), scope);
                if (b.op().equals("and")) return Py.truthy(l) ? evalInner(b.right(), scope) : l;
                if (b.op().equals("or")) return Py.truthy(l) ? l : evalInner(b.right(), scope);
                return Py.arith(b.op(), l, evalInner(b.right(), scope));
            }
            case Concat c -> {
                StringBuilder sb = new StringBuilder();
                for (Expr x : c.parts()) {
                    sb.append(Py.str(evalInner(x, scope)));
                    Limits.chars(sb.length());
                }
                return sb.toString();
            }
            case Compare c -> {
                Object left = evalInner(c.first(), scope);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = evalInner(c.rest().get(i), scope);
                    String op = c.ops().get(i);
                    boolean ok = switch (op) {
                        case "==" -> Py.eq(left, right);
                        case "!=" -> !Py.eq(left, right);
                        case "<" -> Py.compare(left, right, op) < 0;
                        case "<=" -> Py.compare(left, right, op) <= 0;
                        case ">" -> Py.compare(left, right, op) > 0;
                        case ">=" -> Py.compare(left, right, op) >= 0;
                        case "in" -> Py.contains(right, left);
                        case "notin" -> !Py.contains(right, left);
                        default -> throw new IllegalStateException(op);
                    };
                    if (!ok) return false;
                    left = right;
                }
                return true;
            }
            case Cond c -> {
                if (Py.truthy(evalInner(c.test(), scope))) return evalInner(c.then(), scope);
                return c.orElse() == null ? Undefined.hint("the inline if-expression evaluated to false and no else section was defined.")
                        : evalInner(c.orElse(), scope);
            }
        }
    }

    private Object opt(Expr e, Scope scope) {
        return e == null ? null : evalInner(e, scope);
    }

    private void evalArgs(Args a, Scope scope, List<Object> args, Map<String, Object> kw) {
        for (Expr x : a.positional()) args.add(evalInner(x, scope));
        for (int i = 0; i < a.names().size(); i++) kw.put(a.names().get(i), evalInner(a.values().get(i), scope));
        if (a.star() != null) args.addAll(Py.iterate(evalInner(a.star(), scope)));
        if (a.dstar() != null && evalInner(a.dstar(), scope) instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> en : m.entrySet()) kw.put(Py.str(en.getKey()), en.getValue());
        }
    }

    private Object applyFilter(Filter f, Object value, Scope scope) {
        List<Object> args = new ArrayList<>();
        Map<String, Object> kw = new LinkedHashMap<>();
        evalArgs(f.args(), scope, args, kw);
        try {
            return Filters.apply(f.name(), value, args, kw);
        } catch (JinjaException e) {
            throw e.atLine(f.line());
        }
    }
}
