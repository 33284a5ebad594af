package dev.refusal4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.generate.SamplingOptions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/chat/completions} or {@code POST /v1/completions}, checked field by field: each wrong type or value
 * is an {@link ApiError} naming the field. Fields this server does not know are ignored, as the
 * OpenAI-compatible servers clients are written against ignore them; fields it knows but cannot
 * honour ({@code n > 1}, tools, log-probabilities) are errors rather than silently dropped.
 *
 * <p>Deliberate difference from OpenAI: an absent {@code temperature} means 0 (greedy), the default
 * of {@code refusal4j generate}, so that a plain request gets the answer {@code generate} gives.
 *
 * @param model     the model asked for, or null
 * @param messages  the conversation (chat), or null
 * @param prompt    the raw text to continue (completions), or null
 * @param maxTokens {@code max_tokens} (or {@code max_completion_tokens}), or null: up to the context
 * @param steer     the {@code "refusal4j"} object's fields, each null when absent
 */
record ChatRequest(String model, List<Map<String, Object>> messages, String prompt, Integer maxTokens, SamplingOptions sampling,
                   List<String> stop, boolean stream, boolean includeUsage, SteeringOverride steer) {

    /** {@code "refusal4j": {"steering": "none"|"ablate"|"add"|"subtract", "coeff": C, "layers": "A-B"}}. */
    record SteeringOverride(Steering.Mode mode, Float coeff, String layers) {
        static final SteeringOverride NONE = new SteeringOverride(null, null, null);
    }

    /** A chat completion's body. */
    static ChatRequest parse(JsonNode body) {
        return parse(body, false);
    }

    /** A text completion's body: {@code prompt} instead of {@code messages}. */
    static ChatRequest parseCompletion(JsonNode body) {
        return parse(body, true);
    }

    private static ChatRequest parse(JsonNode body, boolean completion) {
        if (body == null || !body.isObject()) throw ApiError.invalid(null, "the request body must be a JSON object");
        String model = optText(body, "model");
        List<Map<String, Object>> messages = completion ? null : messages(body.get("messages"));
        String prompt = completion ? prompt(body.get("prompt")) : null;
        if (completion) unsupportedCompletionFields(body);
        Integer n = optInt(body, "n");
        if (n != null && n != 1) throw ApiError.invalid("n", "n must be 1: this server returns one choice per request (got " + n + ")");
        Integer maxTokens = optInt(body, "max_completion_tokens");
        if (maxTokens == null) maxTokens = optInt(body, "max_tokens");
        if (maxTokens != null && maxTokens < 1) throw ApiError.invalid("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
        Double temperature = optNumber(body, "temperature");
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) {
            throw ApiError.invalid("temperature", "temperature must be between 0 and 2 (0 = greedy), got " + temperature);
        }
        Double topP = optNumber(body, "top_p");
        if (topP != null && !(topP > 0 && topP <= 1)) throw ApiError.invalid("top_p", "top_p must be in (0, 1], got " + topP);
        JsonNode seedNode = body.get("seed");
        long seed = 0;
        if (seedNode != null && !seedNode.isNull()) {
            if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) throw ApiError.invalid("seed", "seed must be an integer");
            seed = seedNode.asLong();
        }
        SamplingOptions sampling = new SamplingOptions(temperature == null ? 0f : temperature.floatValue(), 0,
                topP == null ? 1f : topP.floatValue(), 0f, 1f, seed);
        Boolean stream = optBoolean(body, "stream");
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.invalid("stream_options", "stream_options must be an object");
            Boolean u = optBoolean(so, "include_usage");
            includeUsage = u != null && u;
        }
        // chat: a boolean; completions: how many alternatives per token
        boolean logprobs = completion ? optInt(body, "logprobs") instanceof Integer k && k != 0 : optBoolean(body, "logprobs") instanceof Boolean b && b;
        if (logprobs) throw ApiError.invalid("logprobs", "logprobs are not supported by this server");
        for (String f : new String[] {"tools", "functions"}) {
            JsonNode t = body.get(f);
            if (t != null && !t.isNull() && !(t.isArray() && t.isEmpty())) throw ApiError.invalid(f, f + " are not supported by this server");
        }
        return new ChatRequest(model, messages, prompt, maxTokens, sampling, stop(body.get("stop")), stream != null && stream, includeUsage,
                steering(body.get("refusal4j")));
    }

    /** A string, or a list of one string (OpenAI also takes token lists and several prompts: not this server). */
    private static String prompt(JsonNode node) {
        if (node == null || node.isNull()) throw ApiError.invalid("prompt", "prompt is required: the text to continue");
        if (node.isTextual()) return node.asText();
        if (node.isArray() && node.size() == 1 && node.get(0).isTextual()) return node.get(0).asText();
        throw ApiError.invalid("prompt", "prompt must be a string or a list of one string (this server answers one prompt per request and does not take token ids)");
    }

    /** Text-completion fields this server cannot honour: an error rather than silently dropped. */
    private static void unsupportedCompletionFields(JsonNode body) {
        Boolean echo = optBoolean(body, "echo");
        if (echo != null && echo) throw ApiError.invalid("echo", "echo is not supported by this server");
        JsonNode suffix = body.get("suffix");
        if (suffix != null && !suffix.isNull()) throw ApiError.invalid("suffix", "suffix is not supported by this server");
        Integer bestOf = optInt(body, "best_of");
        if (bestOf != null && bestOf != 1) throw ApiError.invalid("best_of", "best_of must be 1: this server returns one choice per request (got " + bestOf + ")");
    }

    private static List<Map<String, Object>> messages(JsonNode node) {
        if (node == null || node.isNull()) throw ApiError.invalid("messages", "messages is required: a list of {\"role\", \"content\"} objects");
        if (!node.isArray() || node.isEmpty()) throw ApiError.invalid("messages", "messages must be a non-empty list of {\"role\", \"content\"} objects");
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.invalid(at, at + " must be an object with role and content");
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual()) throw ApiError.invalid(at + ".role", at + ".role must be a string");
            String r = role.asText();
            if (r.equals("developer")) r = "system"; // OpenAI's newer name for the system role
            if (!r.equals("system") && !r.equals("user") && !r.equals("assistant")) {
                throw ApiError.invalid(at + ".role", at + ".role must be system, user or assistant, got '" + role.asText() + "'");
            }
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", r);
            msg.put("content", content(m.get("content"), at + ".content"));
            out.add(msg);
        }
        return out;
    }

    /** A string, or a list of {"type": "text", "text": ...} parts joined. */
    private static String content(JsonNode c, String at) {
        if (c == null || c.isNull()) throw ApiError.invalid(at, at + " is required");
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder s = new StringBuilder();
            for (JsonNode part : c) {
                JsonNode type = part.get("type"), text = part.get("text");
                if (!part.isObject() || type == null || !"text".equals(type.asText()) || text == null || !text.isTextual()) {
                    throw ApiError.invalid(at, at + " parts must be {\"type\": \"text\", \"text\": \"...\"} (this server reads text only)");
                }
                s.append(text.asText());
            }
            return s.toString();
        }
        throw ApiError.invalid(at, at + " must be a string or a list of text parts");
    }

    private static List<String> stop(JsonNode s) {
        if (s == null || s.isNull()) return List.of();
        if (s.isTextual()) return List.of(s.asText());
        if (s.isArray() && s.size() <= 4) {
            List<String> out = new ArrayList<>();
            for (JsonNode x : s) {
                if (!x.isTextual()) throw ApiError.invalid("stop", "stop must be a string or a list of up to 4 strings");
                out.add(x.asText());
            }
            return out;
        }
        throw ApiError.invalid("stop", "stop must be a string or a list of up to 4 strings");
    }

    private static SteeringOverride steering(JsonNode r) {
        if (r == null || r.isNull()) return SteeringOverride.NONE;
        if (!r.isObject()) throw ApiError.invalid("refusal4j", "refusal4j must be an object: {\"steering\": \"none\"|\"ablate\"|\"add\"|\"subtract\", \"coeff\": C, \"layers\": \"A-B\"}");
        String mode = optText(r, "steering", "refusal4j.steering");
        Double coeff = optNumber(r, "coeff", "refusal4j.coeff");
        String layers = optText(r, "layers", "refusal4j.layers");
        return new SteeringOverride(mode == null ? null : Steering.Mode.parse(mode, "refusal4j.steering"),
                coeff == null ? null : coeff.floatValue(), layers);
    }

    private static String optText(JsonNode o, String field) {
        return optText(o, field, field);
    }

    private static String optText(JsonNode o, String field, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw ApiError.invalid(param, param + " must be a string");
        return v.asText();
    }

    private static Integer optInt(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiError.invalid(field, field + " must be an integer");
        return v.asInt();
    }

    private static Double optNumber(JsonNode o, String field) {
        return optNumber(o, field, field);
    }

    private static Double optNumber(JsonNode o, String field, String param) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw ApiError.invalid(param, param + " must be a number");
        return v.asDouble();
    }

    private static Boolean optBoolean(JsonNode o, String field) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isBoolean()) throw ApiError.invalid(field, field + " must be true or false");
        return v.asBoolean();
    }
}
