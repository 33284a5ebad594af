package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;

/**
 * {@code direction.json}: where the selected direction was taken, its norm and its scores, for
 * people and scripts that do not read safetensors (the vector is in {@code direction.safetensors}).
 * Numbers the file lacks read as NaN, texts as null, integers as null.
 */
public record DirectionSummary(Integer layer, Integer position, double norm, Integer dims, String model, String tool,
                               double bypass, double induce, double kl) {

    public void write(Path file) throws IOException {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("layer", layer).put("position", position).put("norm", norm).put("dims", dims)
                .put("model", model).put("tool", tool)
                .put("bypass_score", bypass).put("induce_score", induce).put("kl_score", kl);
        Json.write(file, j);
    }
}
