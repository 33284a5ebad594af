package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The name llama.cpp gives ({@code tokenizer.ggml.pre}) to the pre-tokenization of a byte-level BPE
 * tokenizer.json, for the families whose pre-tokenizer {@link PreTokenizers} reads back exactly:
 * GPT-2's byte-level regex, Llama-3's and Qwen-2's split patterns before a byte-level step.
 * convert_hf_to_gguf.py tells them apart by hashing the tokenizer's output on a test text; the
 * pre-tokenizer's own definition says the same thing without running it.
 */
public final class GgufPreName {
    private GgufPreName() {}

    /** llama.cpp's name for the tokenizer's pre-tokenization, or null when it is none of these. */
    public static String of(JsonNode tokenizerJson) {
        JsonNode p = tokenizerJson.path("pre_tokenizer");
        if (p.path("type").asText().equals("ByteLevel") && p.path("use_regex").asBoolean(true) && !p.path("add_prefix_space").asBoolean(false)) return "gpt-2";
        if (!p.path("type").asText().equals("Sequence")) return null;
        JsonNode steps = p.path("pretokenizers");
        if (steps.size() != 2 || !steps.get(1).path("type").asText().equals("ByteLevel") || steps.get(1).path("use_regex").asBoolean(true)) return null;
        JsonNode split = steps.get(0);
        if (!split.path("type").asText().equals("Split") || !split.path("behavior").asText().equals("Isolated") || split.path("invert").asBoolean(false)) return null;
        String regex = split.path("pattern").path("Regex").asText("");
        if (regex.equals(Regexes.LLAMA3)) return "llama-bpe";
        if (regex.equals(Regexes.QWEN2)) return "qwen2";
        return null;
    }
}
