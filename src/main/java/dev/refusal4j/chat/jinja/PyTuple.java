package dev.refusal4j.chat.jinja;

import java.util.AbstractList;
import java.util.List;

/** An immutable Python tuple (from {@code dict.items()}, {@code (a, b)} literals); prints as "(a, b)". */
final class PyTuple extends AbstractList<Object> {
    private final Object[] items;

    PyTuple(Object... items) {
        this.items = items;
    }

    static PyTuple of(List<?> list) {
        return new PyTuple(list.toArray());
    }

    @Override
    public Object get(int index) { return items[index]; }

    @Override
    public int size() { return items.length; }
}
