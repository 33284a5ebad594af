package dev.refusal4j.chat.jinja;

import java.util.ArrayList;
import java.util.List;

/**
 * A one-shot Python iterator, which is what jinja2's map/select/reject/selectattr/rejectattr/
 * items/unique filters return (and reverse on lists). Unlike a list it is always true, has no
 * length, is not JSON serializable, and is empty once iterated.
 */
final class PyIterator {
    final String typeName;       // "generator" or "list_reverseiterator"
    private List<Object> items;  // null once consumed
    private final JinjaException pending; // raised on first use: generator filters fail lazily in jinja2

    PyIterator(String typeName, List<Object> items) {
        this(typeName, items, null);
    }

    private PyIterator(String typeName, List<Object> items, JinjaException pending) {
        this.typeName = typeName;
        this.items = items;
        this.pending = pending;
    }

    static PyIterator failing(JinjaException e) {
        return new PyIterator("generator", null, e);
    }

    static PyIterator generator(List<Object> items) {
        return new PyIterator("generator", items);
    }

    List<Object> consume() {
        if (pending != null) throw pending;
        List<Object> out = items == null ? new ArrayList<>() : items;
        items = null;
        return out;
    }
}
