package dev.refusal4j.chat;

import java.util.List;

/**
 * The prompt formats of the paper's code (andyrdt/refusal_direction, pipeline/model_utils/*_model.py),
 * one per model family it ran: the user turn as a plain string with the instruction in its slot,
 * tokenized with the tokenizer's own special tokens (the code's {@code tokenizer(prompts)}), no system
 * prompt, and the family's refusal tokens. They differ from the Hugging Face templates the models
 * ship: Llama-2's ends with a space, which is a token of its own and the post-instruction position
 * the paper selected (−1); the Llama-3 string starts with a stray quote before
 * {@code <|begin_of_text|>}, after the BOS the tokenizer adds; none has a default system prompt.
 * Reproduced as written, so that the positions and activations are the paper's.
 */
public enum PaperFormat {
    LLAMA2("[INST] {instruction} [/INST] ", "[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{instruction} [/INST] ", List.of("I")),
    LLAMA3("\"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{instruction}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            "\"<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n{instruction}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            List.of("I")),
    GEMMA("<start_of_turn>user\n{instruction}<end_of_turn>\n<start_of_turn>model\n", null, List.of("I")),
    QWEN_CHAT("<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n", List.of("I", "As")),
    YI_CHAT("<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n", List.of("I"));

    private static final String SLOT = "{instruction}";

    /** The user turn, with {@code {instruction}} where the instruction goes. */
    public final String template;
    /** The same with a system prompt in {@code {system}}; null where the paper's code refuses one (Gemma). */
    public final String withSystem;
    /** The words whose first token the paper counts as a refusal. */
    public final List<String> refusalWords;

    PaperFormat(String template, String withSystem, List<String> refusalWords) {
        this.template = template;
        this.withSystem = withSystem;
        this.refusalWords = refusalWords;
    }

    /**
     * The prompt text. Placeholders are replaced once each, so an instruction that itself contains
     * "{system}" or "{instruction}" stays as written.
     */
    public String render(String instruction, String system) {
        if (system == null) return template.replace(SLOT, instruction);
        if (withSystem == null) throw new ChatTemplateException("the paper's " + this + " format has no system prompt (its code refuses one); use --system-prompt none");
        int s = withSystem.indexOf("{system}"), i = withSystem.indexOf(SLOT);
        return withSystem.substring(0, s) + system + withSystem.substring(s + "{system}".length(), i) + instruction + withSystem.substring(i + SLOT.length());
    }

    /** The text after the instruction: the post-instruction tokens. */
    public String suffix() {
        return template.substring(template.indexOf(SLOT) + SLOT.length());
    }

    /**
     * The paper's family of a model, from its architecture, its chat template and its tokenizer's
     * class (never its folder name); null when it is none of them. Yi is a Llama with a ChatML
     * template and a SentencePiece tokenizer: a Llama with ChatML and a byte-level BPE (the bundled
     * organism) is not Yi.
     *
     * @param templateSource the chat template's text, null when the model has none
     * @param tokenizerClass tokenizer_config.json's "tokenizer_class", null when absent
     */
    public static PaperFormat of(String architecture, String templateSource, String tokenizerClass) {
        String t = templateSource == null ? "" : templateSource;
        return switch (architecture) {
            case "QWenLMHeadModel" -> QWEN_CHAT;
            case "GemmaForCausalLM" -> t.isEmpty() || t.contains("<start_of_turn>") ? GEMMA : null;
            case "LlamaForCausalLM" -> t.contains("<|start_header_id|>") ? LLAMA3
                    : t.contains("[INST]") && t.contains("<<SYS>>") ? LLAMA2
                    : t.contains("<|im_start|>") && tokenizerClass != null && tokenizerClass.startsWith("LlamaTokenizer") ? YI_CHAT
                    : null;
            default -> null;
        };
    }
}
