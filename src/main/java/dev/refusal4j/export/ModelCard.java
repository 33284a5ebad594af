package dev.refusal4j.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.Version;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.ModelConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The README.md of an exported model: what was done to which model with which direction, and the
 * refusal rates that `run` measured with that direction when its metrics.json lies beside the
 * direction file. The source model's own card is kept as README.source.md ({@link #keptName}):
 * what it says (that the model refuses, that its embeddings are tied) holds for the source only.
 * The text depends only on the inputs, so the same export writes the same card.
 */
final class ModelCard {
    private ModelCard() {}

    /**
     * The name a top-level file of the source keeps in the export: the source's README.md becomes
     * README.source.md, its README.source.md (an export of an export) README.source.source.md, and
     * so on; every other name is unchanged.
     */
    static String keptName(Path rel) {
        String n = rel.toString();
        if (rel.getNameCount() == 1 && n.startsWith("README") && n.endsWith(".md") && n.substring(6, n.length() - 3).matches("(\\.source)*")) {
            return "README.source" + n.substring(6);
        }
        return n;
    }

    /**
     * @param directionFile where the direction was read (null: given in memory)
     * @param sourceCard    whether the source had a README.md (then kept as README.source.md)
     */
    static String text(Path modelDir, ModelConfig cfg, RefusalDirection dir, Path directionFile, Path outDir, int modifiedTensors,
                       boolean untied, boolean sourceCard) {
        String source = modelDir.toString();
        StringBuilder s = new StringBuilder();
        s.append("---\ntags:\n- refusal4j\n- abliterated\n---\n\n");
        s.append("# ").append(outDir.getFileName()).append("\n\n");
        s.append("`").append(source).append("` with its refusal direction removed from the weights by weight orthogonalization ")
                .append("(Arditi et al. 2024, *Refusal in Language Models Is Mediated by a Single Direction*), written by refusal4j ")
                .append(Version.VERSION).append(" (`refusal4j abliterate`).\n\n");

        s.append("## What was changed\n\n");
        s.append("Every matrix that writes to the residual stream was orthogonalized against the unit refusal direction r̂: ")
                .append("W ← W − r̂ r̂ᵀ W for the token embeddings and for the attention output and MLP down projections of all ")
                .append(cfg.layers).append(" layers, and their biases: ").append(modifiedTensors)
                .append(" tensors. Every other tensor is byte for byte the source's, in the same dtype (")
                .append(cfg.dtype).append(") and shard layout. The model now behaves as if r̂ were ablated from the residual stream at run ")
                .append("time: it can no longer write that direction, which the paper finds mediates refusal.\n\n");
        if (cfg.sandwichNorms) {
            s.append("Gemma-2's post-attention and post-feedforward norms sit between these projections and the residual stream, so each ")
                    .append("projection was orthogonalized against normalize((1 + w) ⊙ r̂), which keeps the normalized write orthogonal to r̂.\n\n");
        }
        if (untied) {
            s.append("The source ties its output embedding to its input embedding. The input embedding was orthogonalized and the original ")
                    .append("kept as `lm_head.weight`, so `config.json` now says `tie_word_embeddings: false` and the model has one more tensor.\n\n");
        }

        s.append("## The direction\n\n| | |\n|---|---|\n");
        row(s, "file", directionFile == null ? "(given in memory)" : "`" + directionFile + "`");
        row(s, "layer", dir.layer() + " (measured at `blocks." + dir.layer() + ".hook_resid_pre`)");
        row(s, "position", dir.position() + " (post-instruction token, counted from the end of the prompt)");
        row(s, "norm of r", String.format(Locale.ROOT, "%.6g", dir.norm()));
        row(s, "SHA-256 of r (float32, little-endian)", "`" + ExportedMetadata.sha256(dir.vector()) + "`");
        for (String k : new String[] {"model", "bypass_score", "induce_score", "kl_score"}) {
            String v = dir.metadata().get(k);
            if (v != null) row(s, k.equals("model") ? "measured on" : k.replace('_', ' '), k.equals("model") ? "`" + v + "`" : v);
        }
        s.append('\n');

        metrics(s, dir, directionFile);

        s.append("## Source model\n\n`").append(source).append("` (").append(cfg.architecture).append(", ").append(cfg.layers)
                .append(" layers, hidden size ").append(cfg.hidden).append("). ");
        if (sourceCard) {
            s.append("Its model card is kept as [README.source.md](README.source.md); what it says about the source's behaviour")
                    .append(untied ? " and its tied embeddings" : "").append(" does not hold for this model.\n");
        } else {
            s.append("It had no README.md.\n");
        }
        return s.toString();
    }

    private static void row(StringBuilder s, String key, String value) {
        s.append("| ").append(key).append(" | ").append(value.replace("|", "\\|")).append(" |\n");
    }

    /** The rates of the run that selected the direction: metrics.json beside the direction file, when it is about this direction. */
    private static void metrics(StringBuilder s, RefusalDirection dir, Path directionFile) {
        if (directionFile == null) return;
        Path parent = directionFile.toAbsolutePath().getParent();
        Path file = parent == null ? null : parent.resolve("metrics.json");
        if (file == null || !Files.isRegularFile(file)) return;
        s.append("## Refusal rates measured by `refusal4j run`\n\n");
        JsonNode m;
        try {
            m = Json.read(file);
        } catch (IOException e) {
            s.append("`").append(file).append("` lies beside the direction but could not be read (").append(e.getMessage()).append(").\n\n");
            return;
        }
        JsonNode d = m.path("direction");
        if (d.isObject() && (d.path("layer").asInt(Integer.MIN_VALUE) != dir.layer() || d.path("position").asInt(Integer.MIN_VALUE) != dir.position())) {
            s.append("`").append(file).append("` is about another direction (layer ").append(d.path("layer").asText()).append(", position ")
                    .append(d.path("position").asText()).append("), so its rates are not repeated here.\n\n");
            return;
        }
        JsonNode rates = m.path("refusal_rate");
        if (!rates.isObject() || rates.isEmpty()) {
            s.append("`").append(file).append("` holds no refusal rates.\n\n");
            return;
        }
        s.append("From `").append(file).append("`: greedy completions of held-out prompts by the model the direction was measured on, ")
                .append("unmodified (baseline), with r̂ ablated at run time (ablation, the intervention this export bakes into the weights) ")
                .append("or with r added (actadd)");
        String judge = m.path("judge").asText("");
        s.append(judge.isEmpty() ? "" : "; judge: " + judge).append(".\n\n| completions | refusal rate |\n|---|---|\n");
        for (Iterator<Map.Entry<String, JsonNode>> it = rates.fields(); it.hasNext(); ) {
            var e = it.next();
            row(s, e.getKey(), e.getValue().isNumber() ? String.format(Locale.ROOT, "%.1f%%", 100 * e.getValue().asDouble()) : e.getValue().asText());
        }
        JsonNode counts = m.path("counts");
        if (counts.has("harmful_test") || counts.has("harmless_test")) {
            s.append("\n").append(counts.path("harmful_test").asText("?")).append(" harmful and ").append(counts.path("harmless_test").asText("?"))
                    .append(" harmless test prompts.");
        }
        s.append("\n\n");
    }
}
