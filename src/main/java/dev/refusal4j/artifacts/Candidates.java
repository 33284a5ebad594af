package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.select.SelectionCriteria;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code candidates.json}: the three scores of every candidate direction r(position, layer), which
 * filter removed it (null: kept), and which one was selected.
 *
 * @param model          the model folder's name
 * @param positions      post-instruction positions, negative offsets from the end of the prompt
 * @param positionTokens how each position's template token reads (shown beside the position)
 * @param selected       null when none was selected (every candidate was filtered out)
 * @param thresholds     "kl", "induce", "prune_layer_fraction": the filters that were on
 * @param prompt         one prompt as the model reads it, post-instruction tokens in [brackets] (null: not recorded)
 * @param refusalTokens  the tokens whose probability the scores measure, as "40 'I', 769 'As'" (null: not recorded)
 */
public record Candidates(String model, int numLayers, List<Integer> positions, List<Candidate> list,
                         Cell selected, Map<String, Double> thresholds, Map<Integer, String> positionTokens, String prompt,
                         String refusalTokens) {

    /** Layers a candidates file may name: 0 to 1023. The deepest models have fewer than 200; more is a damaged file. */
    public static final int MAX_LAYERS = 1024;

    public record Cell(int position, int layer) {}

    /**
     * A missing score (null in the file, NaN here) is NaN when the candidate is filtered as "nan", and
     * otherwise was not computed: selection stops scoring a candidate at the first filter that
     * removes it ("layer >= 20": not scored at all; "induce < 0.0": no bypass and KL), unless run with
     * --score-all.
     *
     * @param filtered what removed the candidate ("kl > 0.1", …), null when it was kept
     */
    public record Candidate(int position, int layer, double bypass, double induce, double kl, String filtered) {
        public boolean kept() {
            return filtered == null;
        }

        /** Whether {@code score}, one of this candidate's, was left uncomputed (not NaN: not scored). */
        public boolean notScored(double score) {
            return Double.isNaN(score) && filtered != null && !filtered.equals("nan");
        }

        /** Whether any of the three scores was left uncomputed. */
        public boolean partlyScored() {
            return notScored(bypass) || notScored(induce) || notScored(kl);
        }
    }

    public Candidate at(int position, int layer) {
        for (Candidate c : list) if (c.position == position && c.layer == layer) return c;
        return null;
    }

    public Candidate selectedCandidate() {
        return selected == null ? null : at(selected.position, selected.layer);
    }

    /** The selection criteria the thresholds describe. */
    public SelectionCriteria criteria() {
        return new SelectionCriteria(thresholds.get("kl"), thresholds.get("induce"), thresholds.get("prune_layer_fraction"));
    }

    /** Layer index from which candidates are pruned, if the run says. */
    public Integer prunedFrom() {
        return !thresholds.containsKey("prune_layer_fraction") || numLayers <= 0 ? null : criteria().firstPrunedLayer(numLayers);
    }

    public void write(Path file) throws IOException {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("model", model);
        root.put("num_layers", numLayers);
        ArrayNode pos = root.putArray("positions");
        positions.forEach(pos::add);
        ObjectNode tokens = root.putObject("position_tokens");
        positionTokens.forEach((p, t) -> tokens.put(Integer.toString(p), t));
        ArrayNode arr = root.putArray("candidates");
        for (Candidate c : list) {
            ObjectNode o = arr.addObject();
            o.put("position", c.position()).put("layer", c.layer());
            putScore(o, "bypass_score", c.bypass());
            putScore(o, "induce_score", c.induce());
            putScore(o, "kl_score", c.kl());
            if (c.filtered() == null) o.putNull("filtered");
            else o.put("filtered", c.filtered());
        }
        if (selected != null) root.putObject("selected").put("position", selected.position()).put("layer", selected.layer());
        ObjectNode th = root.putObject("thresholds");
        thresholds.forEach(th::put);
        if (prompt != null) root.put("prompt", prompt);
        if (refusalTokens != null) root.put("refusal_tokens", refusalTokens);
        Json.write(file, root);
    }

    private static void putScore(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v);
        else o.putNull(key);
    }
}
