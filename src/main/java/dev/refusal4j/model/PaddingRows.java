package dev.refusal4j.model;

/**
 * The rows of one forward call ([batch × slots], row b·T + t) that hold padding: a left-padding
 * slot before a sequence's first token, or a slot after a right-padded suffix's last real token.
 * No real token ever attends to either (left padding is masked, right padding comes later under
 * the causal mask), so the linear layers skip them: with prompts of mixed length in one batch that
 * is up to a quarter of the arithmetic. Their outputs are zero; hooks there see values of no meaning.
 */
record PaddingRows(int[] live, int[] dead, boolean[] isDead) {
    /** The padding rows of a call, or null when there are none. */
    static PaddingRows of(int B, int T, int start0, int[] pad, int[] lastSlots) {
        int nDead = 0; // counted first: a decode step has none and allocates nothing
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) if (isDead(b, t, start0, pad, lastSlots, T)) nDead++;
        if (nDead == 0) return null;
        boolean[] dead = new boolean[B * T];
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) dead[b * T + t] = isDead(b, t, start0, pad, lastSlots, T);
        int[] live = new int[B * T - nDead], gone = new int[nDead];
        for (int r = 0, i = 0, j = 0; r < B * T; r++) {
            if (dead[r]) gone[j++] = r;
            else live[i++] = r;
        }
        return new PaddingRows(live, gone, dead);
    }

    private static boolean isDead(int b, int t, int start0, int[] pad, int[] lastSlots, int T) {
        boolean left = start0 + t < pad[b];
        boolean right = lastSlots != null && lastSlots[b] >= 0 && lastSlots[b] < T && t > lastSlots[b];
        return left || right;
    }

    /** Every row but each sequence's last slot ({@code lastSlots[b]}, or T - 1 when null). */
    static PaddingRows only(int B, int T, int[] lastSlots) {
        boolean[] dead = new boolean[B * T];
        java.util.Arrays.fill(dead, true);
        int[] live = new int[B], gone = new int[B * T - B];
        for (int b = 0; b < B; b++) {
            int slot = lastSlots == null ? T - 1 : lastSlots[b];
            if (slot < 0 || slot >= T) throw new IllegalArgumentException("last slot " + slot + " of sequence " + b + " is outside [0, " + T + ")");
            live[b] = b * T + slot;
            dead[live[b]] = false;
        }
        for (int r = 0, j = 0; r < B * T; r++) if (dead[r]) gone[j++] = r;
        return new PaddingRows(live, gone, dead);
    }

    boolean isPadding(int row) {
        return isDead[row];
    }
}
