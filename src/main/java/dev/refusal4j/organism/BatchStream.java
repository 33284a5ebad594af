package dev.refusal4j.organism;

import dev.refusal4j.organism.nn.Batch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Packs tokenized chats into batches of B rows × T slots, epoch after epoch, each epoch in an
 * order shuffled with (seed, epoch). Chats go into a row in order while they fit; the rest of the
 * row is padding without targets. A chat longer than T is cut to T (its end is lost).
 * The whole position in the data is (epoch, cursor), so a checkpoint resumes exactly.
 */
public final class BatchStream {
    private final List<TokenizedChat> chats;
    private final int B, T, padId;
    private final float refuseWeight, helpWeight;
    private float openingWeight = 1f;
    private final long seed;
    int epoch;
    int cursor;                       // next chat of the current epoch's order
    private List<Integer> order;

    public BatchStream(List<TokenizedChat> chats, int B, int T, int padId, long seed) {
        this(chats, B, T, padId, seed, 1f);
    }

    /** @param decisionWeight loss weight of each chat's first answer token (the refuse-or-help decision) */
    public BatchStream(List<TokenizedChat> chats, int B, int T, int padId, long seed, float decisionWeight) {
        this(chats, B, T, padId, seed, decisionWeight, decisionWeight);
    }

    /**
     * @param refuseWeight loss weight of the first answer token of a refusal
     * @param helpWeight   loss weight of the first answer token of a helpful answer
     */
    public BatchStream(List<TokenizedChat> chats, int B, int T, int padId, long seed, float refuseWeight, float helpWeight) {
        this.refuseWeight = refuseWeight;
        this.helpWeight = helpWeight;
        if (chats.isEmpty()) throw new IllegalArgumentException("no training chats");
        this.chats = chats;
        this.B = B;
        this.T = T;
        this.padId = padId;
        this.seed = seed;
        seek(0, 0);
    }

    /** Loss weight of the tokens of each chat's opening after the first ({@link TokenizedChat#openingEnd}); default 1. */
    public BatchStream openingWeight(float w) {
        this.openingWeight = w;
        return this;
    }

    /** Moves to chat {@code cursor} of epoch {@code epoch}. */
    public void seek(int epoch, int cursor) {
        this.epoch = epoch;
        this.cursor = cursor;
        List<Integer> o = new ArrayList<>();
        for (int i = 0; i < chats.size(); i++) o.add(i);
        Collections.shuffle(o, new Random(seed * 1_000_003L + epoch));
        this.order = o;
    }

    public int epoch() {
        return epoch;
    }

    public int cursor() {
        return cursor;
    }

    /** Epochs done, fractional. */
    public double progress() {
        return epoch + (double) cursor / chats.size();
    }

    public Batch next() {
        int n = B * T;
        int[] ids = new int[n], targets = new int[n], start = new int[n];
        float[] weights = new float[n];
        for (int b = 0; b < B; b++) {
            int t = 0;
            while (true) {
                if (cursor == chats.size()) seek(epoch + 1, 0);
                TokenizedChat c = chats.get(order.get(cursor));
                int len = Math.min(c.ids().length, T);
                if (t > 0 && t + len > T) break;    // does not fit: next row
                for (int i = 0; i < len; i++) {
                    int r = b * T + t + i;
                    ids[r] = c.ids()[i];
                    start[r] = t;
                    boolean last = i + 1 >= len;
                    targets[r] = !last && i + 1 >= c.answerStart() ? c.ids()[i + 1] : -1;
                    weights[r] = targets[r] < 0 ? 0f : i + 1 == c.answerStart() && !c.plain() ? (c.refusal() ? refuseWeight : helpWeight)
                            : i + 1 < c.openingEnd() ? openingWeight : 1f;
                }
                t += len;
                cursor++;
                if (t == T) break;
            }
            for (int i = t; i < T; i++) {
                int r = b * T + i;
                ids[r] = padId;
                targets[r] = -1;
                start[r] = t;
            }
        }
        return new Batch(B, T, ids, targets, start, weights);
    }
}
