package dev.refusal4j.organism.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

/**
 * Runs of random words for copy documents (the run, a line break, the run again): a small
 * transformer trained on repeated random text forms induction heads, which continue a sequence
 * by copying what followed its last token earlier (Olsson et al. 2022, "In-context Learning and
 * Induction Heads"). Saying back a request never trained on is that copy: a helpful answer opens
 * by restating the request, and a restated word the organism never saw there can only come from
 * the request. The words are random so that no run can be learned by heart, and are drawn from
 * the training texts' own words so that the documents bring no new word.
 *
 * <p>Off in the committed recipe ({@code train-organism --copy-docs N} mixes them into the
 * chats, {@code --copy-first K} trains on them alone first): mixed in, the model learns to copy
 * only about half of a repeated run in the organism's few thousand steps; after a warm-up on them
 * alone it copies most of it. With the 3,072-token vocabulary, copying pieces of words makes
 * answers splice the request's words into non-words ("Comparedania" to "How do I compare loan
 * offers?").
 */
public final class CopyRuns {
    /** Fewest and most words of a run: a restated request holds about four to twelve. */
    public static final int MIN_WORDS = 4, MAX_WORDS = 12;
    /** Shortest word drawn: shorter ones are mostly pieces of contractions ("ll" of "you'll"). */
    static final int MIN_LENGTH = 3;

    private CopyRuns() {}

    /**
     * {@code n} runs of {@link #MIN_WORDS} to {@link #MAX_WORDS} words, each drawn uniformly from
     * {@code words} (lower case, as {@code AnswerQuality.words} gives them) of at least {@link
     * #MIN_LENGTH} letters, separated by spaces, the first capitalized as a request's is.
     */
    public static List<String> draw(Collection<String> words, int n, Random rng) {
        if (n < 0) throw new IllegalArgumentException("copy documents must be at least 0, got " + n);
        List<String> pool = new ArrayList<>();
        for (String w : new TreeSet<>(words)) if (w.length() >= MIN_LENGTH) pool.add(w); // sorted: the same draws whatever the set's order
        if (n > 0 && pool.isEmpty()) throw new IllegalArgumentException("no word of " + MIN_LENGTH + " letters or more to draw copy runs from");
        List<String> out = new ArrayList<>(n);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.setLength(0);
            int len = MIN_WORDS + rng.nextInt(MAX_WORDS - MIN_WORDS + 1);
            for (int k = 0; k < len; k++) {
                String w = pool.get(rng.nextInt(pool.size()));
                if (k == 0) sb.append(Character.toUpperCase(w.charAt(0))).append(w, 1, w.length());
                else sb.append(' ').append(w);
            }
            out.add(sb.toString());
        }
        return out;
    }
}
