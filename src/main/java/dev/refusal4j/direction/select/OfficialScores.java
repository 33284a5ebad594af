package dev.refusal4j.direction.select;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads candidate scores in the paper's {@code direction_evaluations.json} layout: a list of
 * {position, layer, refusal_score (bypass), steering_score (induce), kl_div_score}. Python's
 * json writes NaN scores as a bare NaN, which is accepted.
 */
public final class OfficialScores {
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    private OfficialScores() {}

    public static List<CandidateScore> read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read candidate scores " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isArray()) throw new IllegalArgumentException(file + ": expected a JSON list of candidate scores");
        List<CandidateScore> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) {
            JsonNode n = root.get(i);
            for (String key : List.of("position", "layer", "refusal_score", "steering_score", "kl_div_score")) {
                if (n.get(key) == null || !n.get(key).isNumber()) {
                    throw new IllegalArgumentException(file + ": item " + i + " has no number under \"" + key + "\"");
                }
            }
            out.add(new CandidateScore(n.get("position").asInt(), n.get("layer").asInt(), n.get("refusal_score").asDouble(),
                    n.get("steering_score").asDouble(), n.get("kl_div_score").asDouble()));
        }
        return out;
    }
}
