package dev.refusal4j.tokenizer;

import java.util.Arrays;

/**
 * Min-heap of candidate merges ordered by (priority, position): the best-ranked pair first,
 * the leftmost one among equals, which is the order Hugging Face and SentencePiece merge in.
 */
final class MergeQueue {
    private long[] keys = new long[64]; // [entry] priority << 32 | position
    private int[] values = new int[64]; // [entry] id the merge produces
    private int size;

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(int priority, int position, int value) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
        }
        long key = ((long) priority << 32) | (position & 0xFFFFFFFFL);
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            values[i] = values[parent];
            i = parent;
        }
        keys[i] = key;
        values[i] = value;
    }

    /** Position of the best entry (call before {@link #pop}). */
    int topPosition() {
        return (int) keys[0];
    }

    int topPriority() {
        return (int) (keys[0] >>> 32);
    }

    int topValue() {
        return values[0];
    }

    void pop() {
        long key = keys[--size];
        int value = values[size];
        int i = 0;
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && keys[child + 1] < keys[child]) child++;
            if (keys[child] >= key) break;
            keys[i] = keys[child];
            values[i] = values[child];
            i = child;
        }
        keys[i] = key;
        values[i] = value;
    }
}
