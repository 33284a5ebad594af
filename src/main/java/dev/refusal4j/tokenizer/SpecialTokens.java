package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Which ids are BOS and EOS: tokenizer_config.json first, then special_tokens_map.json, then the
 * token the post-processor puts in front (BOS); EOS falls back to a special token with one of the
 * usual end-of-text names.
 */
final class SpecialTokens {
    private SpecialTokens() {}

    /** Parses a JSON file; the error is one line naming the file and where the JSON breaks. */
    static JsonNode readJson(Path file) {
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw new TokenizerException(file + (at == null ? "" : ", line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The JSON of an optional file beside the tokenizer, or null. */
    static JsonNode optionalJson(Path dir, String name) {
        Path f = dir.resolve(name);
        return Files.isRegularFile(f) ? readJson(f) : null;
    }

    /** Content of a token entry that is a string or {"content": ...}; null when absent. */
    static String content(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) return null;
        if (node.isTextual()) return node.asText();
        JsonNode c = node.get("content");
        return c != null && c.isTextual() ? c.asText() : null;
    }

    static OptionalInt resolve(Path dir, String key, Function<String, OptionalInt> idOf, int[] postProcessorPrefix,
                               List<String> fallbackNames, List<AddedToken> added) {
        for (String file : List.of("tokenizer_config.json", "special_tokens_map.json")) {
            JsonNode cfg = dir == null ? null : optionalJson(dir, file);
            if (cfg == null || !cfg.has(key)) continue;
            String token = content(cfg.get(key));
            if (token == null) return OptionalInt.empty(); // explicitly null (Qwen's bos_token)
            OptionalInt id = idOf.apply(token);
            if (id.isPresent()) return id;
        }
        if ("bos_token".equals(key) && postProcessorPrefix.length == 1) return OptionalInt.of(postProcessorPrefix[0]);
        for (String name : fallbackNames) {
            for (AddedToken t : added) if (t.special() && t.content().equals(name)) return OptionalInt.of(t.id());
        }
        return OptionalInt.empty();
    }

    static final List<String> EOS_NAMES = List.of("</s>", "<|endoftext|>", "<|end_of_text|>", "<eos>", "<|im_end|>");
    static final List<String> BOS_NAMES = List.of("<s>", "<|begin_of_text|>", "<bos>");
}
