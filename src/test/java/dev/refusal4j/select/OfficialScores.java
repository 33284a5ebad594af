package dev.refusal4j.select;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Candidate scores in the paper's {@code direction_evaluations.json} layout: a list of
 * {position, layer, refusal_score (bypass), steering_score (induce), kl_div_score}. Python's json
 * module writes NaN as a bare {@code NaN}; both reading and writing follow it.
 */
public final class OfficialScores {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

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

    /** Writes the scores in the given order (the paper writes every candidate in loop order, or the kept ones by bypass). */
    public static void write(Path file, List<CandidateScore> scores) {
        ArrayNode list = JSON.createArrayNode();
        for (CandidateScore c : scores) {
            ObjectNode o = list.addObject();
            o.put("position", c.position());
            o.put("layer", c.layer());
            o.put("refusal_score", c.bypass());
            o.put("steering_score", c.induce());
            o.put("kl_div_score", c.kl());
        }
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            JSON.writeValue(file.toFile(), list);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write candidate scores " + file + ": " + e.getMessage(), e);
        }
    }
}
