package dev.refusal4j.chat;

import dev.refusal4j.io.ModelPath;
import dev.refusal4j.io.TextFiles;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds a model folder's chat template and special tokens the way transformers does:
 * {@code chat_template.jinja} wins over the {@code chat_template} of {@code tokenizer_config.json}
 * (a string, or a list of {@code {"name", "template"}} of which "default" is used), then
 * {@code chat_template.json}; special tokens come from {@code special_tokens_map.json} and
 * {@code tokenizer_config.json}, as strings or AddedToken dicts ({@code {"content": ...}}). A GGUF
 * model ({@link ModelPath}) has them in its metadata, as llama.cpp's converter writes them:
 * {@code tokenizer.chat_template} (a named one in {@code tokenizer.chat_template.NAME}), and the
 * special tokens as ids into {@code tokenizer.ggml.tokens}.
 */
record TemplateSource(String text, Path file, Map<String, Object> specialTokens) {
    private static final List<String> TOKEN_KEYS = List.of(
            "bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token");

    private static final String GGUF_TEMPLATE = "tokenizer.chat_template";
    /** llama.cpp's keys of the special tokens (its spelling), by the name transformers gives the token. */
    private static final List<List<String>> GGUF_TOKEN_KEYS = List.of(
            List.of("bos_token", "tokenizer.ggml.bos_token_id"), List.of("eos_token", "tokenizer.ggml.eos_token_id"),
            List.of("unk_token", "tokenizer.ggml.unknown_token_id"), List.of("sep_token", "tokenizer.ggml.seperator_token_id"),
            List.of("pad_token", "tokenizer.ggml.padding_token_id"), List.of("cls_token", "tokenizer.ggml.cls_token_id"),
            List.of("mask_token", "tokenizer.ggml.mask_token_id"));

    /**
     * tokenizer_config.json's "tokenizer_class" (e.g. "LlamaTokenizer"), or null. A GGUF model's
     * SentencePiece vocabulary (tokenizer.ggml.model "llama") is what transformers calls a LlamaTokenizer.
     */
    static String tokenizerClass(Path modelDir) {
        ModelPath model = ModelPath.of(modelDir);
        if (model.isGguf()) {
            GgufFile g = gguf(model.ggufFile());
            return g.has("tokenizer.ggml.model") && g.string("tokenizer.ggml.model").equals("llama") ? "LlamaTokenizer" : null;
        }
        Path f = modelDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(f)) return null;
        JsonNode c = readJson(f).path("tokenizer_class");
        return c.isTextual() ? c.asText() : null;
    }

    /** Whether the model folder has a chat template in one of the places {@link #find} looks. */
    static boolean exists(Path modelDir) {
        ModelPath model = ModelPath.of(modelDir);
        if (model.isGguf()) return gguf(model.ggufFile()).has(GGUF_TEMPLATE);
        if (Files.isRegularFile(modelDir.resolve("chat_template.jinja"))) return true;
        for (String name : List.of("tokenizer_config.json", "chat_template.json")) {
            Path f = modelDir.resolve(name);
            if (Files.isRegularFile(f)) {
                JsonNode n = readJson(f);
                if (n.has("chat_template") && !n.get("chat_template").isNull()) return true;
            }
        }
        return false;
    }

    static TemplateSource find(Path modelDir, String templateName) {
        ModelPath model = ModelPath.of(modelDir);
        if (model.isGguf()) return fromGguf(model.ggufFile(), templateName);
        if (!Files.isDirectory(modelDir)) {
            throw new ChatTemplateException("model folder not found: " + modelDir);
        }
        Path config = modelDir.resolve("tokenizer_config.json");
        Map<String, Object> tokens = new LinkedHashMap<>();
        Path stm = modelDir.resolve("special_tokens_map.json");
        if (Files.isRegularFile(stm)) readTokens(readJson(stm), stm, tokens);
        JsonNode cfg = Files.isRegularFile(config) ? readJson(config) : null;
        if (cfg != null) readTokens(cfg, config, tokens);

        Path jinja = modelDir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) {
            try {
                return new TemplateSource(TextFiles.read(jinja), jinja, tokens);
            } catch (IOException e) {
                throw new ChatTemplateException(jinja + ": cannot read: " + e.getMessage(), e);
            }
        }
        if (cfg != null && cfg.has("chat_template") && !cfg.get("chat_template").isNull()) {
            return new TemplateSource(pick(cfg.get("chat_template"), config, templateName), config, tokens);
        }
        Path ctJson = modelDir.resolve("chat_template.json");
        if (Files.isRegularFile(ctJson)) {
            JsonNode n = readJson(ctJson);
            if (n.has("chat_template")) return new TemplateSource(pick(n.get("chat_template"), ctJson, templateName), ctJson, tokens);
        }
        if (cfg != null) {
            throw new ChatTemplateException(config + ": no \"chat_template\" key, and no chat_template.jinja in " + modelDir);
        }
        throw new ChatTemplateException("no chat template in " + modelDir
                + ": expected chat_template.jinja or tokenizer_config.json with a \"chat_template\" key");
    }

    private static GgufFile gguf(Path file) {
        try {
            return GgufReader.read(file);
        } catch (RuntimeException e) {
            throw new ChatTemplateException(e.getMessage(), e);
        }
    }

    private static TemplateSource fromGguf(Path file, String templateName) {
        GgufFile g = gguf(file);
        Map<String, Object> tokens = new LinkedHashMap<>();
        String[] vocab = g.has("tokenizer.ggml.tokens") ? g.strings("tokenizer.ggml.tokens") : new String[0];
        for (List<String> k : GGUF_TOKEN_KEYS) {
            if (!g.has(k.get(1))) continue;
            long id = g.integer(k.get(1));
            if (id < 0 || id >= vocab.length) throw new ChatTemplateException(file + ": " + k.get(1) + " = " + id + " is outside the vocabulary (" + vocab.length + " tokens)");
            tokens.put(k.get(0), vocab[(int) id]);
        }
        String key = templateName == null || templateName.equals("default") ? GGUF_TEMPLATE : GGUF_TEMPLATE + "." + templateName;
        if (!g.has(key)) {
            if (!key.equals(GGUF_TEMPLATE)) {
                String names = g.has("tokenizer.chat_templates") ? String.join(", ", g.strings("tokenizer.chat_templates")) : "none";
                throw new ChatTemplateException(file + ": no chat template named '" + templateName + "' (" + key + "; named templates: " + names + ")");
            }
            throw new ChatTemplateException(file + ": no " + GGUF_TEMPLATE + " in the GGUF metadata; give a template with --template FILE");
        }
        return new TemplateSource(g.string(key), file, tokens);
    }

    private static String pick(JsonNode t, Path file, String name) {
        if (t.isTextual()) {
            if (name != null && !name.equals("default")) {
                throw new ChatTemplateException(file + ": has a single chat_template, no template named '" + name + "'");
            }
            return t.asText();
        }
        if (t.isArray()) {
            String want = name == null ? "default" : name;
            StringBuilder names = new StringBuilder();
            for (JsonNode e : t) {
                if (!e.isObject() || !e.path("name").isTextual() || !e.path("template").isTextual()) {
                    throw new ChatTemplateException(file + ": \"chat_template\" list entries must be {\"name\": ..., \"template\": ...}");
                }
                if (e.get("name").asText().equals(want)) return e.get("template").asText();
                names.append(names.isEmpty() ? "" : ", ").append(e.get("name").asText());
            }
            throw new ChatTemplateException(file + ": no chat template named '" + want + "' (has: " + names + ")");
        }
        throw new ChatTemplateException(file + ": \"chat_template\" must be a string or a list of named templates, got "
                + t.getNodeType().toString().toLowerCase());
    }

    private static void readTokens(JsonNode root, Path file, Map<String, Object> out) {
        for (String k : TOKEN_KEYS) {
            JsonNode v = root.get(k);
            if (v == null || v.isNull()) continue;
            if (v.isTextual()) out.put(k, v.asText());
            else if (v.isObject() && v.path("content").isTextual()) out.put(k, v.get("content").asText());
            else throw new ChatTemplateException(file + ": \"" + k + "\" must be a string or {\"content\": ...}");
        }
        JsonNode extra = root.get("additional_special_tokens");
        if (extra != null && extra.isArray()) {
            List<Object> texts = new java.util.ArrayList<>();
            for (JsonNode v : extra) {
                if (v.isTextual()) texts.add(v.asText());
                else if (v.isObject() && v.path("content").isTextual()) texts.add(v.get("content").asText());
            }
            out.put("additional_special_tokens", texts);
        }
    }

    private static JsonNode readJson(Path p) {
        try {
            JsonNode n = Json.MAPPER.readTree(p.toFile());
            if (n == null || !n.isObject()) throw new ChatTemplateException(p + ": expected a JSON object");
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ChatTemplateException(p + ": malformed JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ChatTemplateException(p + ": cannot read: " + e.getMessage(), e);
        }
    }
}
