package dev.refusal4j.direction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Groups prompts of token ids into left-padded batches. Prompts are ordered by length first so
 * that a batch wastes little padding; each batch remembers which prompts it holds.
 */
public record Batches(List<Batch> batches) {
    public record Batch(int[] indices, int[][] tokens, int[] padding) {
        public int size() {
            return indices.length;
        }

        public int slots() {
            return tokens[0].length;
        }
    }

    public static Batches of(List<int[]> prompts, int batchSize) {
        Integer[] order = new Integer[prompts.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> prompts.get(i).length).thenComparingInt(i -> i));
        List<Batch> out = new ArrayList<>();
        for (int s = 0; s < order.length; s += batchSize) {
            int n = Math.min(batchSize, order.length - s);
            int T = 0;
            for (int j = 0; j < n; j++) T = Math.max(T, prompts.get(order[s + j]).length);
            int[] idx = new int[n];
            int[][] tok = new int[n][T];
            int[] pad = new int[n];
            for (int j = 0; j < n; j++) {
                int[] p = prompts.get(order[s + j]);
                if (p.length == 0) throw new IllegalArgumentException("prompt " + order[s + j] + " has no tokens");
                idx[j] = order[s + j];
                pad[j] = T - p.length;
                Arrays.fill(tok[j], 0, pad[j], p[0]);
                System.arraycopy(p, 0, tok[j], pad[j], p.length);
            }
            out.add(new Batch(idx, tok, pad));
        }
        return new Batches(out);
    }
}
