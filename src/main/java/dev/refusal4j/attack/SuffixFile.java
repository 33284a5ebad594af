package dev.refusal4j.attack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code suffix.json}: the suffix a search found and how, rewritten after every step so that a
 * stopped search can go on ({@link SuffixSearch}).
 * <ul>
 *   <li>{@code suffix}, {@code suffix_ids}: the suffix to use — the one with the lowest refusal rate
 *       on the validation prompts when there are some ({@code chosen_step}), else the last;</li>
 *   <li>{@code search}: where the optimization is ({@code suffix_ids}, {@code loss}) — the state a
 *       resumed search continues from;</li>
 *   <li>{@code loss}: the summed target loss after each step (step 0 first), never rising;</li>
 *   <li>{@code validation}: the refusal rate on the validation prompts at the steps it was measured;</li>
 *   <li>{@code prompts}: each training prompt, its target and whether it succeeds with the search's suffix.</li>
 * </ul>
 */
public record SuffixFile(String suffix, int[] suffixIds, String target, boolean universal, long seed, int steps, int topK, int batch,
                         String successRule, List<Double> loss, int[] searchIds, List<Validation> validation, Integer chosenStep,
                         List<PromptResult> prompts) {

    public record Validation(int step, double refusalRate, String suffix) {}

    /** @param target the completion optimized for this prompt */
    public record PromptResult(String instruction, String target, boolean success) {}

    public void write(Path file) throws IOException {
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("suffix", suffix);
        ids(j.putArray("suffix_ids"), suffixIds);
        j.put("target", target).put("universal", universal).put("seed", seed).put("steps", steps)
                .put("top_k", topK).put("batch", batch).put("success_rule", successRule);
        ArrayNode l = j.putArray("loss");
        for (double x : loss) l.add(x);
        ObjectNode search = j.putObject("search");
        ids(search.putArray("suffix_ids"), searchIds);
        search.put("loss", loss.getLast());
        ArrayNode v = j.putArray("validation");
        for (Validation x : validation) v.addObject().put("step", x.step()).put("refusal_rate", x.refusalRate()).put("suffix", x.suffix());
        if (chosenStep != null) j.put("chosen_step", chosenStep);
        ArrayNode ps = j.putArray("prompts");
        for (PromptResult p : prompts) ps.addObject().put("instruction", p.instruction()).put("target", p.target()).put("success", p.success());
        Json.write(file, j);
    }

    /** Reads a suffix.json; a file without the fields a resumed search needs is an error naming it. */
    public static SuffixFile read(Path file) throws IOException {
        JsonNode j = Json.read(file);
        List<Double> loss = new ArrayList<>();
        for (JsonNode x : j.path("loss")) loss.add(x.asDouble());
        if (!j.path("suffix").isTextual() || !j.path("suffix_ids").isArray() || loss.isEmpty()) {
            throw new IllegalArgumentException(file + " is not a suffix.json: it lacks suffix, suffix_ids or the loss history");
        }
        int[] chosen = ids(j.path("suffix_ids"));
        JsonNode search = j.path("search");
        int[] searchIds = search.path("suffix_ids").isArray() ? ids(search.path("suffix_ids")) : chosen;
        List<Validation> validation = new ArrayList<>();
        for (JsonNode x : j.path("validation")) validation.add(new Validation(x.path("step").asInt(), x.path("refusal_rate").asDouble(), x.path("suffix").asText()));
        List<PromptResult> prompts = new ArrayList<>();
        for (JsonNode x : j.path("prompts")) prompts.add(new PromptResult(x.path("instruction").asText(), x.path("target").asText(j.path("target").asText()), x.path("success").asBoolean()));
        return new SuffixFile(j.path("suffix").asText(), chosen, j.path("target").asText(), j.path("universal").asBoolean(), j.path("seed").asLong(),
                j.path("steps").asInt(), j.path("top_k").asInt(), j.path("batch").asInt(), j.path("success_rule").asText(), loss, searchIds,
                validation, j.has("chosen_step") ? j.get("chosen_step").asInt() : null, prompts);
    }

    private static void ids(ArrayNode a, int[] ids) {
        for (int v : ids) a.add(v);
    }

    private static int[] ids(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
