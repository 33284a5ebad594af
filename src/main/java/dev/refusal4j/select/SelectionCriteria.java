package dev.refusal4j.select;

/**
 * The filters of the paper's {@code select_direction}; a null threshold turns that filter off, as
 * None does in the official code. NaN scores always disqualify a candidate.
 *
 * @param klThreshold        discard when KL > this (paper: 0.1)
 * @param induceThreshold    discard when induce score < this (paper: 0.0)
 * @param pruneLayerFraction discard layers >= int(nLayers * (1 - this)) (paper: 0.2)
 */
public record SelectionCriteria(Double klThreshold, Double induceThreshold, Double pruneLayerFraction) {
    public static final SelectionCriteria PAPER = new SelectionCriteria(0.1, 0.0, 0.2);
    /** Only NaN scores disqualify: for random-weight models and ablation studies. */
    public static final SelectionCriteria NONE = new SelectionCriteria(null, null, null);

    public SelectionCriteria {
        if (pruneLayerFraction != null && !(pruneLayerFraction >= 0 && pruneLayerFraction <= 1)) {
            throw new IllegalArgumentException("prune-layer fraction must be within [0, 1], got " + pruneLayerFraction);
        }
    }

    /** First layer that is pruned: int(nLayers * (1 - fraction)), truncated as Python's int() does; nLayers when off. */
    public int firstPrunedLayer(int nLayers) {
        return pruneLayerFraction == null ? nLayers : (int) (nLayers * (1.0 - pruneLayerFraction));
    }
}
