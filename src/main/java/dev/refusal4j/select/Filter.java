package dev.refusal4j.select;

/** Why a candidate was discarded, in the order the official {@code filter_fn} checks. */
public enum Filter {
    NAN("a NaN score"),
    LAYER("a layer in the pruned last part of the model"),
    KL("KL above the threshold"),
    INDUCE("an induce score below the threshold");

    public final String description;

    Filter(String description) {
        this.description = description;
    }

    /**
     * The first filter that discards the candidate, or null when it is kept. A candidate whose
     * scoring stopped early ({@link CandidateScore#stoppedBy}) keeps the filter that stopped it.
     */
    public static Filter firstFailing(CandidateScore c, int nLayers, SelectionCriteria criteria) {
        if (c.stoppedBy() != null) return c.stoppedBy();
        if (c.hasNaN()) return NAN;
        if (c.layer() >= criteria.firstPrunedLayer(nLayers)) return LAYER;
        if (criteria.klThreshold() != null && c.kl() > criteria.klThreshold()) return KL;
        if (criteria.induceThreshold() != null && c.induce() < criteria.induceThreshold()) return INDUCE;
        return null;
    }

    /** How candidates.json names this filter with its threshold: "nan", "layer >= 4", "kl > 0.1", "induce < 0.0". */
    public String label(SelectionCriteria criteria, int nLayers) {
        return switch (this) {
            case NAN -> "nan";
            case LAYER -> "layer >= " + criteria.firstPrunedLayer(nLayers);
            case KL -> "kl > " + criteria.klThreshold();
            case INDUCE -> "induce < " + criteria.induceThreshold();
        };
    }
}
