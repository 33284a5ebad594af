package dev.refusal4j.chat.jinja;

import java.util.AbstractList;
import java.util.List;

/**
 * {@code dict.items()}, {@code .keys()}, {@code .values()}: iterable any number of times and
 * sized like a list, but printed as "dict_items([...])", not subscriptable, not JSON serializable.
 */
final class PyView extends AbstractList<Object> {
    final String typeName; // dict_items, dict_keys, dict_values
    private final List<Object> items;

    PyView(String typeName, List<Object> items) {
        this.typeName = typeName;
        this.items = items;
    }

    @Override
    public Object get(int index) { return items.get(index); }

    @Override
    public int size() { return items.size(); }
}
