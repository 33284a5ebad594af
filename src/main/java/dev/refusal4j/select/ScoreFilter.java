package dev.refusal4j.select;

import java.util.ArrayList;
import java.util.List;

/**
 * The paper's filtering of train and val prompts by the unmodified model's refusal score: keep the
 * harmful prompts it already refuses (score > 0) and the harmless ones it already answers (score < 0).
 * A NaN score keeps nothing, as the Python comparisons do.
 */
public final class ScoreFilter {
    private ScoreFilter() {}

    public static <T> List<T> keepHarmful(List<T> prompts, double[] scores) {
        return keep(prompts, scores, true, 0.0);
    }

    public static <T> List<T> keepHarmless(List<T> prompts, double[] scores) {
        return keep(prompts, scores, false, 0.0);
    }

    /** Which prompts the paper keeps: harmful ones scored above 0, harmless ones below 0 (NaN: none). */
    public static boolean[] mask(double[] scores, boolean harmful) {
        boolean[] keep = new boolean[scores.length];
        for (int i = 0; i < scores.length; i++) keep[i] = harmful ? scores[i] > 0.0 : scores[i] < 0.0;
        return keep;
    }

    /** Keeps prompts whose score is above (or, with above false, below) the threshold. */
    public static <T> List<T> keep(List<T> prompts, double[] scores, boolean above, double threshold) {
        if (scores.length != prompts.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + scores.length + " refusal scores");
        }
        List<T> kept = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) {
            if (above ? scores[i] > threshold : scores[i] < threshold) kept.add(prompts.get(i));
        }
        return kept;
    }
}
