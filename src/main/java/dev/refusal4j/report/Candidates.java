package dev.refusal4j.report;

import java.util.List;
import java.util.Map;

/**
 * What {@code candidates.json} says: the three scores of every candidate direction r(position, layer),
 * which filter removed it (null: kept), and which one was selected.
 *
 * @param positions      post-instruction positions, negative offsets from the end of the prompt
 * @param positionTokens optional: how each position's token reads (shown beside the position)
 * @param selected       null when none was selected (e.g. every candidate was filtered out)
 */
record Candidates(String model, int numLayers, List<Integer> positions, List<Candidate> list,
                  Cell selected, Map<String, Double> thresholds, Map<Integer, String> positionTokens) {

    record Cell(int position, int layer) {}

    record Candidate(int position, int layer, double bypass, double induce, double kl, String filtered) {
        boolean kept() {
            return filtered == null;
        }
    }

    Candidate at(int position, int layer) {
        for (Candidate c : list) if (c.position == position && c.layer == layer) return c;
        return null;
    }

    Candidate selectedCandidate() {
        return selected == null ? null : at(selected.position, selected.layer);
    }

    /** Layer index from which candidates are pruned, if the run says (l ≥ int((1 − fraction)·L)). */
    Integer prunedFrom() {
        Double f = thresholds.get("prune_layer_fraction");
        return f == null || numLayers <= 0 ? null : (int) (numLayers * (1 - f));
    }
}
