package dev.refusal4j.chat.jinja;

import dev.refusal4j.chat.jinja.Node.*;
import dev.refusal4j.chat.jinja.Token.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Recursive-descent parser following jinja2's grammar and operator precedence. */
final class Parser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final List<Token> tokens;
    private int i;
    private int loopDepth; // for-loop bodies around the current position (a macro body starts at 0)
    private int nesting;   // blocks, brackets and prefix operators open around the current position

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Stmt> parse(String source) {
        Parser p = new Parser(Lexer.tokenize(source));
        return p.subparse(null);
    }

    private Token cur() { return tokens.get(i); }

    private Token look() { return tokens.get(Math.min(i + 1, tokens.size() - 1)); }

    private Token next() { return tokens.get(i++); }

    /** Enters one level of nesting; {@link #leave} leaves it. */
    private void enter() {
        if (++nesting > Limits.MAX_NESTING) {
            throw Limits.exceeded("the nesting of blocks and expressions", Limits.MAX_NESTING, "MAX_NESTING").atLine(cur().line());
        }
    }

    private void leave() { nesting--; }

    private JinjaException fail(String msg) {
        return new JinjaException("TemplateSyntaxError", msg, cur().line());
    }

    private Token expect(Type type, String value) {
        Token t = cur();
        if (t.type() != type || (value != null && !t.value().equals(value))) {
            String want = value != null ? value : type.name().toLowerCase();
            throw fail("expected '" + want + "', got '" + t.describe() + "'");
        }
        return next();
    }

    private Token expectName() { return expect(Type.NAME, null); }

    private boolean skipName(String v) {
        if (cur().isName(v)) { i++; return true; }
        return false;
    }

    private boolean skipOp(String v) {
        if (cur().isOp(v)) { i++; return true; }
        return false;
    }

    // ---- statements

    private List<Stmt> subparse(Set<String> ends) {
        enter();
        try {
            return subparseBody(ends);
        } finally {
            leave();
        }
    }

    private List<Stmt> subparseBody(Set<String> ends) {
        List<Stmt> body = new ArrayList<>();
        while (true) {
            Token t = cur();
            switch (t.type()) {
                case TEXT -> { body.add(new Text(t.value())); i++; }
                case VAR_BEGIN -> {
                    i++;
                    Expr e = parseTuple(false, true, Set.of(), false);
                    expect(Type.VAR_END, null);
                    body.add(new Output(e, t.line()));
                }
                case BLOCK_BEGIN -> {
                    i++;
                    if (ends != null && cur().type() == Type.NAME && ends.contains(cur().value())) return body;
                    body.add(parseStatement());
                    expect(Type.BLOCK_END, null);
                }
                case EOF -> {
                    if (ends != null) throw fail("Unexpected end of template. Jinja was looking for: " + ends);
                    return body;
                }
                default -> throw fail("unexpected '" + t.describe() + "'");
            }
        }
    }

    /** Body of a block statement: consumes the opening tag's "%}", stops at one of {@code ends}. */
    private List<Stmt> parseStatements(Set<String> ends, boolean dropNeedle) {
        skipOp(":");
        expect(Type.BLOCK_END, null);
        List<Stmt> body = subparse(ends);
        if (dropNeedle) i++;
        return body;
    }

    private Stmt parseStatement() {
        Token t = cur();
        if (t.type() != Type.NAME) throw fail("tag name expected");
        return switch (t.value()) {
            case "for" -> parseFor();
            case "if" -> parseIf();
            case "set" -> parseSet();
            case "macro" -> parseMacro();
            case "filter" -> parseFilterBlock();
            case "with" -> parseWith();
            case "break", "continue" -> {
                if (loopDepth == 0) throw fail("'" + t.value() + "' outside loop");
                i++;
                yield t.value().equals("break") ? new Break(t.line()) : new Continue(t.line());
            }
            case "generation" -> { i++; yield new Group(parseStatements(Set.of("endgeneration"), true)); }
            default -> throw fail("Encountered unknown tag '" + t.value() + "'.");
        };
    }

    private Stmt parseFor() {
        int line = next().line();
        Target target = parseAssignTarget(Set.of("in"), false);
        expect(Type.NAME, "in");
        Expr iter = parseTuple(false, false, Set.of("recursive"), false);
        Expr filter = skipName("if") ? parseExpression(true) : null;
        boolean recursive = skipName("recursive");
        loopDepth++;
        List<Stmt> body = parseStatements(Set.of("endfor", "else"), false);
        loopDepth--;
        List<Stmt> orElse = List.of();
        if (next().value().equals("else")) orElse = parseStatements(Set.of("endfor"), true);
        return new For(target, iter, filter, body, orElse, recursive, line);
    }

    private Stmt parseIf() {
        int line = next().line();
        List<Expr> tests = new ArrayList<>();
        List<List<Stmt>> bodies = new ArrayList<>();
        List<Stmt> orElse = List.of();
        tests.add(parseTuple(false, false, Set.of(), false));
        bodies.add(parseStatements(Set.of("elif", "else", "endif"), false));
        while (true) {
            Token t = next();
            if (t.value().equals("elif")) {
                tests.add(parseTuple(false, false, Set.of(), false));
                bodies.add(parseStatements(Set.of("elif", "else", "endif"), false));
            } else {
                if (t.value().equals("else")) orElse = parseStatements(Set.of("endif"), true);
                break;
            }
        }
        return new If(tests, bodies, orElse, line);
    }

    private Stmt parseSet() {
        int line = next().line();
        Target target = parseAssignTarget(Set.of(), true);
        if (skipOp("=")) return new Assign(target, parseTuple(false, true, Set.of(), false), line);
        List<Filter> filters = parseFilterChain(false);
        return new SetBlock(target, filters, parseStatements(Set.of("endset"), true), line);
    }

    private Stmt parseMacro() {
        int line = next().line();
        String name = expectName().value();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        expect(Type.OP, "(");
        while (!cur().isOp(")")) {
            if (!params.isEmpty()) expect(Type.OP, ",");
            if (cur().isOp(")")) break;
            params.add(expectName().value());
            defaults.add(skipOp("=") ? parseExpression(true) : null);
        }
        expect(Type.OP, ")");
        int outerLoops = loopDepth;
        loopDepth = 0;
        List<Stmt> body = parseStatements(Set.of("endmacro"), true);
        loopDepth = outerLoops;
        return new Macro(name, params, defaults, body, line);
    }

    private Stmt parseWith() {
        int line = next().line();
        List<Target> targets = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (cur().type() != Type.BLOCK_END) {
            if (!targets.isEmpty()) expect(Type.OP, ",");
            targets.add(toTarget(parsePrimary(false)));
            expect(Type.OP, "=");
            values.add(parseExpression(true));
        }
        return new With(targets, values, parseStatements(Set.of("endwith"), true), line);
    }

    private Stmt parseFilterBlock() {
        int line = next().line();
        List<Filter> filters = parseFilterChain(true);
        return new FilterBlock(filters, parseStatements(Set.of("endfilter"), true), line);
    }

    private List<Filter> parseFilterChain(boolean startInline) {
        List<Filter> out = new ArrayList<>();
        while (cur().isOp("|") || startInline) {
            if (!startInline) i++;
            startInline = false;
            out.add(parseFilterCall(null));
        }
        return out;
    }

    private Target parseAssignTarget(Set<String> extraEnd, boolean withNamespace) {
        Expr e = parseTuple(true, true, extraEnd, false, withNamespace);
        return toTarget(e);
    }

    private Target toTarget(Expr e) {
        if (e instanceof Name n) return new NameTarget(n.name());
        if (e instanceof GetAttr ga && ga.obj() instanceof Name n) return new NsTarget(n.name(), ga.attr());
        if (e instanceof TupleLit t) {
            List<Target> items = new ArrayList<>();
            for (Expr x : t.items()) items.add(toTarget(x));
            return new TupleTarget(items);
        }
        throw fail("can't assign to this expression");
    }

    // ---- expressions

    private Expr parseTuple(boolean simplified, boolean withCondexpr, Set<String> extraEnd, boolean explicitParens) {
        return parseTuple(simplified, withCondexpr, extraEnd, explicitParens, false);
    }

    private Expr parseTuple(boolean simplified, boolean withCondexpr, Set<String> extraEnd, boolean explicitParens,
                            boolean withNamespace) {
        List<Expr> args = new ArrayList<>();
        boolean isTuple = false;
        while (true) {
            if (!args.isEmpty()) expect(Type.OP, ",");
            if (isTupleEnd(extraEnd)) break;
            args.add(simplified ? parsePrimary(withNamespace) : parseExpression(withCondexpr));
            if (cur().isOp(",")) isTuple = true;
            else break;
        }
        if (!isTuple) {
            if (!args.isEmpty()) return args.get(0);
            if (!explicitParens) throw fail("Expected an expression, got '" + cur().describe() + "'");
        }
        return new TupleLit(args);
    }

    private boolean isTupleEnd(Set<String> extraEnd) {
        Token t = cur();
        if (t.type() == Type.VAR_END || t.type() == Type.BLOCK_END || t.isOp(")")) return true;
        return t.type() == Type.NAME && extraEnd.contains(t.value());
    }

    private Expr parseExpression(boolean withCondexpr) {
        return withCondexpr ? parseCondexpr() : parseOr();
    }

    private Expr parseCondexpr() {
        enter();
        try {
            Expr e1 = parseOr();
            while (skipName("if")) {
                Expr test = parseOr();
                Expr orElse = skipName("else") ? parseCondexpr() : null;
                e1 = new Cond(test, e1, orElse);
            }
            return e1;
        } finally {
            leave();
        }
    }

    private Expr parseOr() {
        Expr l = parseAnd();
        while (cur().isName("or")) {
            int line = next().line();
            l = new Binary("or", l, parseAnd(), line);
        }
        return l;
    }

    private Expr parseAnd() {
        Expr l = parseNot();
        while (cur().isName("and")) {
            int line = next().line();
            l = new Binary("and", l, parseNot(), line);
        }
        return l;
    }

    private Expr parseNot() {
        if (cur().isName("not")) {
            int line = next().line();
            enter();
            try {
                return new Unary("not", parseNot(), line);
            } finally {
                leave();
            }
        }
        return parseCompare();
    }

    private Expr parseCompare() {
        int line = cur().line();
        Expr first = parseMath1();
        List<String> ops = new ArrayList<>();
        List<Expr> rest = new ArrayList<>();
        while (true) {
            Token t = cur();
            if (t.type() == Type.OP && COMPARE_OPS.contains(t.value())) {
                i++;
                ops.add(t.value());
            } else if (t.isName("in")) {
                i++;
                ops.add("in");
            } else if (t.isName("not") && look().isName("in")) {
                i += 2;
                ops.add("notin");
            } else {
                break;
            }
            rest.add(parseMath1());
        }
        return ops.isEmpty() ? first : new Compare(first, ops, rest, line);
    }

    private Expr parseMath1() {
        Expr l = parseConcat();
        while (cur().isOp("+") || cur().isOp("-")) {
            Token op = next();
            l = new Binary(op.value(), l, parseConcat(), op.line());
        }
        return l;
    }

    private Expr parseConcat() {
        int line = cur().line();
        List<Expr> parts = new ArrayList<>();
        parts.add(parseMath2());
        while (skipOp("~")) parts.add(parseMath2());
        return parts.size() == 1 ? parts.get(0) : new Concat(parts, line);
    }

    private Expr parseMath2() {
        Expr l = parsePow();
        while (cur().isOp("*") || cur().isOp("/") || cur().isOp("//") || cur().isOp("%")) {
            Token op = next();
            l = new Binary(op.value(), l, parsePow(), op.line());
        }
        return l;
    }

    private Expr parsePow() {
        Expr l = parseUnary(true);
        while (cur().isOp("**")) {
            Token op = next();
            l = new Binary("**", l, parseUnary(true), op.line());
        }
        return l;
    }

    private Expr parseUnary(boolean withFilter) {
        enter();
        try {
            return parseUnaryBody(withFilter);
        } finally {
            leave();
        }
    }

    private Expr parseUnaryBody(boolean withFilter) {
        Token t = cur();
        Expr node;
        if (t.isOp("-") || t.isOp("+")) {
            i++;
            node = new Unary(t.value(), parseUnary(false), t.line());
        } else {
            node = parsePrimary(false);
        }
        node = parsePostfix(node);
        if (withFilter) node = parseFilterExpr(node);
        return node;
    }

    private Expr parsePrimary(boolean withNamespace) {
        Token t = cur();
        switch (t.type()) {
            case NAME -> {
                i++;
                switch (t.value()) {
                    case "true", "True" -> { return new Const(Boolean.TRUE); }
                    case "false", "False" -> { return new Const(Boolean.FALSE); }
                    case "none", "None" -> { return new Const(null); }
                    default -> {
                        if (withNamespace && cur().isOp(".")) {
                            i++;
                            return new GetAttr(new Name(t.value(), t.line()), expectName().value(), t.line());
                        }
                        return new Name(t.value(), t.line());
                    }
                }
            }
            case STRING -> {
                StringBuilder sb = new StringBuilder();
                while (cur().type() == Type.STRING) sb.append(next().value());
                return new Const(sb.toString());
            }
            case INT, FLOAT -> {
                i++;
                return new Const(t.literal());
            }
            case OP -> {
                if (t.value().equals("(")) {
                    i++;
                    Expr e = parseTuple(false, true, Set.of(), true);
                    expect(Type.OP, ")");
                    return e;
                }
                if (t.value().equals("[")) return parseList();
                if (t.value().equals("{")) return parseDict();
            }
            default -> { }
        }
        throw fail("unexpected '" + t.describe() + "'");
    }

    private Expr parseList() {
        expect(Type.OP, "[");
        List<Expr> items = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!items.isEmpty()) expect(Type.OP, ",");
            if (cur().isOp("]")) break;
            items.add(parseExpression(true));
        }
        expect(Type.OP, "]");
        return new ListLit(items);
    }

    private Expr parseDict() {
        expect(Type.OP, "{");
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!cur().isOp("}")) {
            if (!keys.isEmpty()) expect(Type.OP, ",");
            if (cur().isOp("}")) break;
            keys.add(parseExpression(true));
            expect(Type.OP, ":");
            values.add(parseExpression(true));
        }
        expect(Type.OP, "}");
        return new DictLit(keys, values);
    }

    private Expr parsePostfix(Expr node) {
        while (true) {
            Token t = cur();
            if (t.isOp(".") || t.isOp("[")) node = parseSubscript(node);
            else if (t.isOp("(")) node = new Call(node, parseCallArgs(), t.line());
            else return node;
        }
    }

    private Expr parseFilterExpr(Expr node) {
        while (true) {
            Token t = cur();
            if (t.isOp("|")) {
                i++;
                node = parseFilterCall(node);
            } else if (t.isName("is")) {
                node = parseTest(node);
            } else if (t.isOp("(")) {
                node = new Call(node, parseCallArgs(), t.line());
            } else {
                return node;
            }
        }
    }

    private Filter parseFilterCall(Expr value) {
        Token t = expectName();
        StringBuilder name = new StringBuilder(t.value());
        while (cur().isOp(".")) {
            i++;
            name.append('.').append(expectName().value());
        }
        Args args = cur().isOp("(") ? parseCallArgs() : Args.NONE;
        return new Filter(value, name.toString(), args, t.line());
    }

    private Expr parseTest(Expr node) {
        int line = next().line(); // "is"
        boolean negated = skipName("not");
        StringBuilder name = new StringBuilder(expectName().value());
        while (cur().isOp(".")) {
            i++;
            name.append('.').append(expectName().value());
        }
        Args args = Args.NONE;
        Token t = cur();
        if (t.isOp("(")) {
            args = parseCallArgs();
        } else if ((t.type() == Type.NAME || t.type() == Type.STRING || t.type() == Type.INT || t.type() == Type.FLOAT
                || t.isOp("[") || t.isOp("{")) && !t.isName("else") && !t.isName("or") && !t.isName("and")) {
            if (t.isName("is")) throw fail("You cannot chain multiple tests with is");
            Expr arg = parsePostfix(parsePrimary(false));
            args = new Args(List.of(arg), List.of(), List.of(), null, null);
        }
        Expr test = new Test(node, name.toString(), args, line);
        return negated ? new Unary("not", test, line) : test;
    }

    private Expr parseSubscript(Expr node) {
        Token t = next();
        if (t.isOp(".")) {
            Token a = next();
            if (a.type() == Type.NAME) return new GetAttr(node, a.value(), t.line());
            if (a.type() == Type.INT) return new GetItem(node, new Const(a.literal()), t.line());
            throw new JinjaException("TemplateSyntaxError", "expected name or number", a.line());
        }
        List<Expr> args = new ArrayList<>();
        while (!cur().isOp("]")) {
            if (!args.isEmpty()) expect(Type.OP, ",");
            args.add(parseSubscribed());
        }
        expect(Type.OP, "]");
        return new GetItem(node, args.size() == 1 ? args.get(0) : new TupleLit(args), t.line());
    }

    private Expr parseSubscribed() {
        Expr start = null;
        if (cur().isOp(":")) {
            i++;
        } else {
            Expr e = parseExpression(true);
            if (!cur().isOp(":")) return e;
            i++;
            start = e;
        }
        Expr stop = null;
        Expr step = null;
        if (!cur().isOp(":") && !cur().isOp("]") && !cur().isOp(",")) stop = parseExpression(true);
        if (cur().isOp(":")) {
            i++;
            if (!cur().isOp("]") && !cur().isOp(",")) step = parseExpression(true);
        }
        return new Slice(start, stop, step);
    }

    private Args parseCallArgs() {
        expect(Type.OP, "(");
        List<Expr> positional = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        Expr star = null;
        Expr dstar = null;
        boolean first = true;
        while (!cur().isOp(")")) {
            if (!first) {
                expect(Type.OP, ",");
                if (cur().isOp(")")) break;
            }
            first = false;
            if (skipOp("*")) {
                star = parseExpression(true);
            } else if (skipOp("**")) {
                dstar = parseExpression(true);
            } else if (cur().type() == Type.NAME && look().isOp("=")) {
                names.add(next().value());
                i++;
                values.add(parseExpression(true));
            } else {
                positional.add(parseExpression(true));
            }
        }
        expect(Type.OP, ")");
        return new Args(positional, names, values, star, dstar);
    }
}
