package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code suffix/heldout.json}: the refusal rate on the run's harmful test prompts — which the suffix
 * was not optimized on — without a suffix, with the adversarial suffix and with a random one of as
 * many tokens, judged as the run's completions are. Read tolerantly: a missing number is NaN.
 *
 * @param trainPrompts the training prompts the suffix was optimized on
 * @param chosenStep   the step whose suffix was kept (lowest validation refusal), null without validation
 */
public record SuffixHeldOut(String suffix, String randomSuffix, int prompts, double baseline, double adversarial, double random,
                            int maxNewTokens, int trainPrompts, int steps, Integer chosenStep) {

    public void write(Path file) throws IOException {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("suffix", suffix).put("random_suffix", randomSuffix).put("prompts", prompts);
        j.putObject("refusal_rate").put("baseline", baseline).put("adversarial", adversarial).put("random", random);
        j.put("max_new_tokens", maxNewTokens).put("train_prompts", trainPrompts).put("steps", steps).put("chosen_step", chosenStep);
        Json.write(file, j);
    }

    /** The file as far as it can be read; what cannot is named in {@code problems}. */
    static SuffixHeldOut read(JsonNode j, String name, List<String> problems) {
        if (!j.isObject()) {
            problems.add(name + ": expected a JSON object, found " + j.getNodeType());
            return null;
        }
        try {
            JsonNode r = j.path("refusal_rate");
            return new SuffixHeldOut(j.path("suffix").asText(null), j.path("random_suffix").asText(null), j.path("prompts").asInt(),
                    number(r.path("baseline")), number(r.path("adversarial")), number(r.path("random")), j.path("max_new_tokens").asInt(),
                    j.path("train_prompts").asInt(), j.path("steps").asInt(), j.path("chosen_step").isInt() ? j.get("chosen_step").asInt() : null);
        } catch (RuntimeException e) {
            problems.add(name + ": " + e.getMessage());
            return null;
        }
    }

    private static double number(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }
}
