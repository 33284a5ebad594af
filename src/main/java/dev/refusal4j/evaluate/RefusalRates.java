package dev.refusal4j.evaluate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Refusal rate overall and per category. Prompts without a category are counted under
 * {@link #NO_CATEGORY}.
 */
public record RefusalRates(Rate overall, Map<String, Rate> perCategory) {
    public static final String NO_CATEGORY = "(none)";

    /** refused of total; rate is NaN for an empty group. */
    public record Rate(int refused, int total) {
        public double rate() {
            return total == 0 ? Double.NaN : (double) refused / total;
        }
    }

    /** One judged response. */
    public record Judged(String category, boolean refused) {}

    public static RefusalRates of(List<Judged> judged) {
        int refused = 0;
        Map<String, int[]> counts = new TreeMap<>();   // category -> {refused, total}
        for (Judged j : judged) {
            String cat = j.category() == null ? NO_CATEGORY : j.category();
            int[] c = counts.computeIfAbsent(cat, k -> new int[2]);
            if (j.refused()) {
                c[0]++;
                refused++;
            }
            c[1]++;
        }
        Map<String, Rate> per = new TreeMap<>();
        counts.forEach((k, c) -> per.put(k, new Rate(c[0], c[1])));
        return new RefusalRates(new Rate(refused, judged.size()), java.util.Collections.unmodifiableMap(per));
    }

    /** Judges every response and tallies the rates. */
    public static RefusalRates judge(RefusalJudge judge, List<String> categories, List<String> responses) {
        if (categories.size() != responses.size()) {
            throw new IllegalArgumentException("categories (" + categories.size() + ") and responses ("
                    + responses.size() + ") differ in length");
        }
        List<Judged> judged = new ArrayList<>(responses.size());
        for (int i = 0; i < responses.size(); i++) {
            judged.add(new Judged(categories.get(i), judge.isRefusal(responses.get(i))));
        }
        return of(judged);
    }
}
