package dev.refusal4j.select;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The paper's selection rule ({@code select_direction} in andyrdt/refusal_direction): discard
 * candidates with a NaN score, from a layer >= int(0.8 L), with KL > 0.1 or with induce score < 0;
 * of the rest pick the lowest bypass score. Ties go to the first candidate in the official loop
 * order (position -n..-1, then layer 0..L-1), as Python's stable sort does.
 */
public final class DirectionSelector {
    private DirectionSelector() {}

    /** Loop order of the official code: position ascending (-n first), then layer ascending. */
    static final Comparator<CandidateScore> LOOP_ORDER =
            Comparator.comparingInt(CandidateScore::position).thenComparingInt(CandidateScore::layer);

    /** Selection that fails with {@link NoCandidateLeftException} when every candidate is filtered out. */
    public static Selection select(List<CandidateScore> candidates, int nLayers, SelectionCriteria criteria) {
        Selection s = judge(candidates, nLayers, criteria);
        s.chosenOrThrow();
        return s;
    }

    /** A verdict for every candidate and the choice, which is null when every candidate is filtered out. */
    public static Selection judge(List<CandidateScore> candidates, int nLayers, SelectionCriteria criteria) {
        if (candidates.isEmpty()) throw new IllegalArgumentException("no candidate directions to select from");
        List<CandidateScore> ordered = new ArrayList<>(candidates);
        ordered.sort(LOOP_ORDER);
        Map<Filter, Integer> discarded = new EnumMap<>(Filter.class);
        for (Filter f : Filter.values()) discarded.put(f, 0);
        List<CandidateScore> kept = new ArrayList<>();
        List<Selection.Verdict> verdicts = new ArrayList<>(ordered.size());
        for (CandidateScore c : ordered) {
            if (c.layer() >= nLayers) {
                throw new IllegalArgumentException("candidate layer " + c.layer() + " is outside the model's " + nLayers + " layers");
            }
            Filter f = Filter.firstFailing(c, nLayers, criteria);
            verdicts.add(new Selection.Verdict(c, f));
            if (f == null) kept.add(c);
            else discarded.merge(f, 1, Integer::sum);
        }
        kept.sort(Comparator.comparingDouble(CandidateScore::bypass));   // stable: ties keep loop order
        return new Selection(List.copyOf(verdicts), kept.isEmpty() ? null : kept.getFirst(), List.copyOf(kept),
                java.util.Collections.unmodifiableMap(discarded),   // EnumMap: filter order
                kept.isEmpty() ? explain(ordered, nLayers, criteria, discarded) : null);
    }

    private static String explain(List<CandidateScore> all, int nLayers, SelectionCriteria criteria, Map<Filter, Integer> discarded) {
        StringBuilder m = new StringBuilder("all ").append(all.size()).append(" candidate directions were filtered out: ");
        m.append(discarded.get(Filter.NAN)).append(" had a NaN score");
        // At layer 0 a post-instruction position holds the template token's embedding, the same for
        // every prompt: the difference in means is zero and its unit direction NaN, as in the official code.
        long embeddingOnly = all.stream().filter(c -> c.layer() == 0 && Filter.firstFailing(c, nLayers, criteria) == Filter.NAN).count();
        if (embeddingOnly > 0) m.append(" (").append(embeddingOnly).append(" at layer 0, where each position holds its template token's embedding, the same for every prompt, so the difference in means is zero)");
        m.append(", ");
        m.append(discarded.get(Filter.LAYER)).append(" came from layers >= ").append(criteria.firstPrunedLayer(nLayers))
                .append(" of ").append(nLayers).append(" (prune-layer fraction ").append(criteria.pruneLayerFraction()).append("), ");
        m.append(discarded.get(Filter.KL)).append(" had KL > ").append(criteria.klThreshold()).append(", ");
        m.append(discarded.get(Filter.INDUCE)).append(" had an induce score < ").append(criteria.induceThreshold()).append(". ");
        // What would let something through: the best values among candidates that pass the earlier filters.
        double minKl = Double.POSITIVE_INFINITY, maxInduce = Double.NEGATIVE_INFINITY;
        // A candidate that scoring stopped early lacks the scores after the filter that removed it (NaN).
        for (CandidateScore c : all) {
            Filter f = Filter.firstFailing(c, nLayers, criteria);
            if (f == Filter.NAN || f == Filter.LAYER) continue;
            if (!Double.isNaN(c.kl())) minKl = Math.min(minKl, c.kl());
            boolean klRemoves = criteria.klThreshold() != null && c.kl() > criteria.klThreshold();
            if (!klRemoves && !Double.isNaN(c.induce())) maxInduce = Math.max(maxInduce, c.induce());
        }
        m.append("Options: ");
        if (discarded.get(Filter.KL) > 0 && minKl < Double.POSITIVE_INFINITY) m.append(String.format("--kl-threshold (lowest KL among the remaining layers is %.4g), ", minKl));
        if (discarded.get(Filter.INDUCE) > 0 && maxInduce > Double.NEGATIVE_INFINITY) {
            m.append(String.format("--induce-threshold (highest induce score not removed by KL is %.4g), ", maxInduce));
        }
        if (discarded.get(Filter.LAYER) > 0) m.append("--prune-layer-fraction 0, ");
        m.append("or --no-filter to keep every candidate without a NaN score");
        if (discarded.get(Filter.NAN) == all.size()) m.append(" (every candidate has a NaN score: check the model's numerics)");
        return m.append('.').toString();
    }
}
