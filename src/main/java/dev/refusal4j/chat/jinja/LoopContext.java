package dev.refusal4j.chat.jinja;

import java.util.List;

/** The {@code loop} variable inside a for loop. */
final class LoopContext implements JinjaCallable {
    private final List<Object> items; // [length] the (filtered) items iterated
    private final int depth0;
    int index0;
    private Object lastChanged = NONE;
    private static final Object NONE = new Object();

    private final JinjaCallable recurse; // renders the loop body over new items (recursive loops), or null

    LoopContext(List<Object> items, int depth0, JinjaCallable recurse) {
        this.items = items;
        this.depth0 = depth0;
        this.recurse = recurse;
    }

    /** {@code loop(children)} inside a {@code recursive} for loop. */
    @Override
    public Object call(List<Object> args, java.util.Map<String, Object> kwargs) {
        if (recurse == null) throw Py.typeError("The loop must have the 'recursive' marker to be called recursively.");
        return recurse.call(args, kwargs);
    }

    Object attr(String name) {
        int n = items.size();
        return switch (name) {
            case "index0" -> (long) index0;
            case "index" -> (long) index0 + 1;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> (long) depth0 + 1;
            case "depth0" -> (long) depth0;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : Undefined.hint("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : Undefined.hint("there is no next item");
            case "cycle" -> (JinjaCallable) (args, kw) -> {
                if (args.isEmpty()) throw Py.typeError("no items for cycling given");
                return args.get(index0 % args.size());
            };
            case "changed" -> (JinjaCallable) (args, kw) -> {
                if (lastChanged != NONE && Py.eq(lastChanged, args)) return false;
                lastChanged = args;
                return true;
            };
            default -> Undefined.attribute(this, name);
        };
    }
}
