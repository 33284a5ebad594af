package dev.refusal4j.generate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/** The ids that end generation: generation_config.json's eos_token_id (a number or a list), else config.json's, else the tokenizer's. */
public final class GenerationConfig {
    private GenerationConfig() {}

    public static int[] stopIds(Path modelDir, ModelConfig config, Tokenizer tokenizer) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>();
        Path gc = modelDir.resolve("generation_config.json");
        if (Files.isRegularFile(gc)) {
            JsonNode n;
            try {
                n = Json.MAPPER.readTree(gc.toFile());
            } catch (IOException e) {
                throw new ModelFormatException(gc, "not valid JSON: " + e.getMessage().split("\n")[0]);
            }
            JsonNode eos = n.get("eos_token_id");
            if (eos != null && eos.isArray()) eos.forEach(x -> ids.add(x.asInt()));
            else if (eos != null && eos.canConvertToInt()) ids.add(eos.asInt());
        }
        if (ids.isEmpty()) for (int id : config.eosIds) ids.add(id);
        if (ids.isEmpty() && tokenizer != null) tokenizer.eosId().ifPresent(ids::add);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
