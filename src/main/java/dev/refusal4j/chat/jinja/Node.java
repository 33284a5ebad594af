package dev.refusal4j.chat.jinja;

import java.util.List;

/** The template syntax tree: statements render text, expressions compute values. */
final class Node {
    private Node() {}

    sealed interface Stmt permits Text, Output, If, For, Assign, SetBlock, Macro, FilterBlock, Break, Continue, Group, With {}

    sealed interface Expr permits Const, Name, ListLit, TupleLit, DictLit, GetAttr, GetItem, Slice, Call, Filter,
            Test, Unary, Binary, Concat, Compare, Cond {}

    /** Assignment targets: a name, a namespace attribute ({@code ns.x}) or a tuple to unpack. */
    sealed interface Target permits NameTarget, NsTarget, TupleTarget {}

    record NameTarget(String name) implements Target {}

    record NsTarget(String ns, String attr) implements Target {}

    record TupleTarget(List<Target> items) implements Target {}

    /** Call arguments: positional, keyword (in order), and {@code *args} / {@code **kwargs} spreads. */
    record Args(List<Expr> positional, List<String> names, List<Expr> values, Expr star, Expr dstar) {
        static final Args NONE = new Args(List.of(), List.of(), List.of(), null, null);
    }

    record Text(String text) implements Stmt {}

    record Output(Expr expr, int line) implements Stmt {}

    record If(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> orElse, int line) implements Stmt {}

    record For(Target target, Expr iter, Expr filter, List<Stmt> body, List<Stmt> orElse, boolean recursive, int line)
            implements Stmt {}

    record Assign(Target target, Expr value, int line) implements Stmt {}

    record SetBlock(Target target, List<Filter> filters, List<Stmt> body, int line) implements Stmt {}

    record Macro(String name, List<String> params, List<Expr> defaults, List<Stmt> body, int line) implements Stmt {}

    record FilterBlock(List<Filter> filters, List<Stmt> body, int line) implements Stmt {}

    record Break(int line) implements Stmt {}

    record Continue(int line) implements Stmt {}

    /** {@code {% with a = 1, b = 2 %}...{% endwith %}}: the body in a new scope holding the assignments. */
    record With(List<Target> targets, List<Expr> values, List<Stmt> body, int line) implements Stmt {}

    /** Statements rendered in place, without a scope of their own (e.g. HF's {% generation %}). */
    record Group(List<Stmt> body) implements Stmt {}

    record Const(Object value) implements Expr {}

    record Name(String name, int line) implements Expr {}

    record ListLit(List<Expr> items) implements Expr {}

    record TupleLit(List<Expr> items) implements Expr {}

    record DictLit(List<Expr> keys, List<Expr> values) implements Expr {}

    record GetAttr(Expr obj, String attr, int line) implements Expr {}

    record GetItem(Expr obj, Expr key, int line) implements Expr {}

    /** {@code a[start:stop:step]}; any part may be null. Only valid as the key of a GetItem. */
    record Slice(Expr start, Expr stop, Expr step) implements Expr {}

    record Call(Expr fn, Args args, int line) implements Expr {}

    /** {@code value | name(args)}; value is null inside filter blocks and set blocks. */
    record Filter(Expr value, String name, Args args, int line) implements Expr {}

    record Test(Expr value, String name, Args args, int line) implements Expr {}

    /** op: "-", "+", "not". */
    record Unary(String op, Expr operand, int line) implements Expr {}

    /** op: "+", "-", "*", "/", "//", "%", "**", "and", "or". */
    record Binary(String op, Expr left, Expr right, int line) implements Expr {}

    record Concat(List<Expr> parts, int line) implements Expr {}

    /** {@code a op1 b op2 c}: chained like Python. ops: ==, !=, <, <=, >, >=, in, notin. */
    record Compare(Expr first, List<String> ops, List<Expr> rest, int line) implements Expr {}

    /** {@code then if test else orElse}; orElse may be null (gives undefined). */
    record Cond(Expr test, Expr then, Expr orElse) implements Expr {}
}
