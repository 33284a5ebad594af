package dev.refusal4j.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.Version;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The small text files an export rewrites: config.json, the shard index, and the safetensors metadata. */
final class ExportedMetadata {
    private ExportedMetadata() {}

    /**
     * config.json with {@code tie_word_embeddings} set to false, edited as text so that every other
     * byte stays as it was (number formats, key order, comments of the exporter). Checked by parsing.
     */
    static String untie(Path configFile) throws IOException {
        String text = dev.refusal4j.io.TextFiles.read(configFile);
        String edited;
        var m = java.util.regex.Pattern.compile("(\"tie_word_embeddings\"\\s*:\\s*)(true|false|null|1|0)").matcher(text);
        if (m.find()) {
            edited = text.substring(0, m.start(2)) + "false" + text.substring(m.end(2));
            if (m.find()) throw new ModelFormatException(configFile, "has 'tie_word_embeddings' more than once");
        } else {
            int brace = text.indexOf('{');
            if (brace < 0) throw new ModelFormatException(configFile, "is not a JSON object");
            String indent = text.substring(brace + 1).startsWith("\n  ") ? "\n  " : text.substring(brace + 1).startsWith("\n") ? "\n" : " ";
            boolean emptyObject = text.substring(brace + 1).trim().startsWith("}");
            edited = text.substring(0, brace + 1) + indent + "\"tie_word_embeddings\": false" + (emptyObject ? "" : ",") + text.substring(brace + 1);
        }
        JsonNode before = Json.MAPPER.readTree(text), after = Json.MAPPER.readTree(edited);
        ((ObjectNode) before).put("tie_word_embeddings", false);
        if (!before.equals(after)) throw new IllegalStateException("editing " + configFile + " changed more than tie_word_embeddings");
        return edited;
    }

    /**
     * The shard index with {@code total_size} recomputed and {@code extra} tensors mapped (e.g. the
     * new lm_head), every other field kept; a {@code total_parameters} entry (newer transformers)
     * grows by {@code extraParameters}. A sorted weight_map stays sorted.
     */
    static String index(Path indexFile, long totalSize, Map<String, String> extra, long extraParameters) throws IOException {
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(indexFile.toFile());
        ObjectNode meta = root.has("metadata") && root.get("metadata").isObject() ? (ObjectNode) root.get("metadata") : root.putObject("metadata");
        meta.put("total_size", totalSize);
        if (meta.has("total_parameters") && meta.get("total_parameters").canConvertToLong()) {
            meta.put("total_parameters", meta.get("total_parameters").asLong() + extraParameters);
        }
        ObjectNode wm = (ObjectNode) root.get("weight_map");
        List<String> keys = new ArrayList<>();
        wm.fieldNames().forEachRemaining(keys::add);
        boolean sorted = keys.equals(keys.stream().sorted().toList());
        Map<String, String> all = new LinkedHashMap<>();
        wm.fields().forEachRemaining(e -> all.put(e.getKey(), e.getValue().asText()));
        all.putAll(extra);
        ObjectNode out = Json.MAPPER.createObjectNode();
        (sorted ? new java.util.TreeMap<>(all) : all).forEach(out::put);
        root.set("weight_map", out);
        return Json.MAPPER.writeValueAsString(root) + "\n";
    }

    /** The input file's metadata plus the export's provenance; "format": "pt" as transformers requires. */
    static Map<String, String> provenance(Map<String, String> input, RefusalDirection dir, int modified) {
        Map<String, String> m = new LinkedHashMap<>(input);
        m.putIfAbsent("format", "pt");
        m.put("refusal4j.tool", "refusal4j " + Version.VERSION);
        m.put("refusal4j.operation", "weight orthogonalization W <- W - r r^T W of the embedding and of every residual-stream write (attention/MLP output projections and biases)");
        m.put("refusal4j.direction.layer", Integer.toString(dir.layer()));
        m.put("refusal4j.direction.position", Integer.toString(dir.position()));
        m.put("refusal4j.direction.norm", Double.toString(dir.norm()));
        m.put("refusal4j.direction.sha256", sha256(dir.vector()));
        for (var e : dir.metadata().entrySet()) {
            String k = "refusal4j.direction." + e.getKey();
            if (!m.containsKey(k) && e.getValue().length() <= 4096) m.put(k, e.getValue());
        }
        m.put("refusal4j.modified_tensors_in_file", Integer.toString(modified));
        return m;
    }

    /** SHA-256 of the direction's float32 little-endian bytes (identifies it independently of the file). */
    static String sha256(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
