package dev.refusal4j.organism.nn;

/**
 * B rows of T token slots. Several chats may be packed into one row: each slot knows the first slot
 * of its chat ({@code start}), which bounds its attention, and its position counts from there, so a
 * packed chat is computed exactly as if it were alone. Unused slots at the end of a row form their
 * own chat and have no target.
 *
 * @param ids     [B·T] input token ids
 * @param targets [B·T] the id to predict at each slot, or -1 where no loss is taken
 * @param start   [B·T] first slot (0..T-1, within the row) of the chat that slot belongs to
 * @param weights [B·T] weight of each slot's loss term (the loss is the weighted mean over target slots)
 */
public record Batch(int B, int T, int[] ids, int[] targets, int[] start, float[] weights) {
    public Batch {
        int n = B * T;
        if (ids.length != n || targets.length != n || start.length != n || weights.length != n) throw new IllegalArgumentException("batch arrays must have B·T = " + n + " entries");
        for (int r = 0; r < n; r++) {
            int t = r % T;
            if (start[r] < 0 || start[r] > t) throw new IllegalArgumentException("slot " + r + " starts its chat at " + start[r] + ", after itself");
        }
    }

    /** A batch where every target slot weighs 1. */
    public Batch(int B, int T, int[] ids, int[] targets, int[] start) {
        this(B, T, ids, targets, start, unitWeights(targets));
    }

    private static float[] unitWeights(int[] targets) {
        float[] w = new float[targets.length];
        for (int i = 0; i < w.length; i++) w[i] = targets[i] >= 0 ? 1f : 0f;
        return w;
    }

    /** Number of slots that carry a target. */
    public int lossTokens() {
        int c = 0;
        for (int t : targets) if (t >= 0) c++;
        return c;
    }

    public int position(int r) {
        return r % T - start[r];
    }
}
