package dev.refusal4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Groups prompts of token ids into batches. Prompts are ordered by length first so that a batch
 * wastes little padding; each batch remembers which prompts it holds.
 *
 * <p>Whole prompts are left-padded ({@link #of}), so every sequence ends in the last slot. Suffixes
 * that continue a cached shared prefix are right-padded ({@link #suffixes}): a sequence's slots must
 * follow the prefix without a gap, and causal attention never lets a real token see the padding after
 * it; each sequence's last real slot is in {@link Batch#last}.
 */
public record Batches(List<Batch> batches) {
    /**
     * @param padding left padding of each sequence (all 0 for right-padded batches)
     * @param last    slot of each sequence's last real token
     */
    public record Batch(int[] indices, int[][] tokens, int[] padding, int[] last) {
        public int size() {
            return indices.length;
        }

        public int slots() {
            return tokens[0].length;
        }
    }

    public static Batches of(List<int[]> prompts, int batchSize) {
        return build(prompts, 0, batchSize, true);
    }

    /** Batches of each prompt's tokens after its first {@code prefix}, right-padded. */
    public static Batches suffixes(List<int[]> prompts, int prefix, int batchSize) {
        return build(prompts, prefix, batchSize, false);
    }

    private static Batches build(List<int[]> prompts, int prefix, int batchSize, boolean left) {
        Integer[] order = new Integer[prompts.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> prompts.get(i).length).thenComparingInt(i -> i));
        List<Batch> out = new ArrayList<>();
        for (int s = 0; s < order.length; s += batchSize) {
            int n = Math.min(batchSize, order.length - s);
            int T = 0;
            for (int j = 0; j < n; j++) T = Math.max(T, prompts.get(order[s + j]).length - prefix);
            int[] idx = new int[n], pad = new int[n], last = new int[n];
            int[][] tok = new int[n][T];
            for (int j = 0; j < n; j++) {
                int[] p = prompts.get(order[s + j]);
                int len = p.length - prefix;
                if (len <= 0) throw new IllegalArgumentException("prompt " + order[s + j] + " has no tokens" + (prefix > 0 ? " after the shared prefix of " + prefix : ""));
                idx[j] = order[s + j];
                if (left) {
                    pad[j] = T - len;
                    Arrays.fill(tok[j], 0, pad[j], p[prefix]);
                    System.arraycopy(p, prefix, tok[j], pad[j], len);
                    last[j] = T - 1;
                } else {
                    System.arraycopy(p, prefix, tok[j], 0, len);
                    Arrays.fill(tok[j], len, T, p[p.length - 1]);
                    last[j] = len - 1;
                }
            }
            out.add(new Batch(idx, tok, pad, last));
        }
        return new Batches(out);
    }

    /** Length of the longest token prefix that every prompt shares, leaving each at least one token of its own. */
    public static int commonPrefix(List<int[]> prompts) {
        if (prompts.isEmpty()) return 0;
        int[] first = prompts.get(0);
        int n = first.length;
        for (int[] p : prompts) {
            n = Math.min(n, p.length - 1);
            int i = 0;
            while (i < n && p[i] == first[i]) i++;
            n = i;
        }
        return Math.max(0, n);
    }
}
