package dev.refusal4j.tokenizer;

/**
 * Open-addressing hash map from a pair of token ids to (rank, merged id): the merges of a BPE
 * vocabulary without a boxed object per entry.
 */
final class PairTable {
    private final long[] keys;   // [slot] left << 32 | right, or EMPTY
    private final long[] values; // [slot] rank << 32 | merged id
    private final int mask;
    private static final long EMPTY = -1L;

    PairTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2)) << 1;
        keys = new long[cap];
        values = new long[cap];
        java.util.Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Adds or replaces the pair (a later merge of the same pair wins, as in Hugging Face's map). */
    void put(int left, int right, int rank, int merged) {
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY && keys[i] != k) i = (i + 1) & mask;
        keys[i] = k;
        values[i] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
    }

    /** rank << 32 | merged id, or -1 when the pair does not merge. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        while (true) {
            long cur = keys[i];
            if (cur == k) return values[i];
            if (cur == EMPTY) return -1;
            i = (i + 1) & mask;
        }
    }
}
