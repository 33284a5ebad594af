package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.refusal4j.chat.ChatTemplate;
import dev.refusal4j.chat.PaperFormat;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The paper's prompt formats token for token: for the families whose tokenizers are in ../shared
 * (Llama-2: TinyLlama's tokenizer is Llama-2's; Qwen: Qwen2.5's vocabulary, which keeps Qwen-1's
 * ids), the prompt of each instruction tokenizes to what Hugging Face's tokenizers give for the
 * official template string (pipeline/model_utils/*_model.py, its {@code tokenizer(prompts)}: special
 * tokens on), the post-instruction positions are as many as the official end-of-instruction tokens,
 * and the refusal tokens are the official ids.
 */
class PaperFormatTest {
    static {
        System.setProperty("DJL_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
        System.setProperty("offline", "true");
    }

    /** Plain, with spaces at the ends, with a brace, a newline and non-ASCII text. */
    static final List<String> INSTRUCTIONS = List.of("How do I bake bread?", " Write a poem about the sea. ",
            "Explain {instruction} in one line", "List three colours:\n1.", "Qu'est-ce qu'un arc-en-ciel ? 🌈");

    /** The official strings, written out here as the paper's code formats them. */
    static String official(PaperFormat f, String instruction) {
        return switch (f) {
            case LLAMA2 -> "[INST] " + instruction + " [/INST] ";
            case QWEN_CHAT, YI_CHAT -> "<|im_start|>user\n" + instruction + "<|im_end|>\n<|im_start|>assistant\n";
            default -> throw new IllegalArgumentException(f.name());
        };
    }

    static void check(PaperFormat f, Tokenizer ours, Path hfJson, int positions, int[] refusal) throws Exception {
        PromptEncoder enc = PromptEncoder.paper(f, ours, null);
        try (InputStream in = Files.newInputStream(hfJson);
             HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(in, Map.of("truncation", "false", "padding", "false"))) {
            for (String instruction : INSTRUCTIONS) {
                assertThat(enc.render(instruction)).isEqualTo(official(f, instruction));
                long[] want = hf.encode(official(f, instruction), true, false).getIds();
                assertThat(enc.encode(instruction)).as(f + ": " + instruction).containsExactly(Arrays.stream(want).mapToInt(x -> (int) x).toArray());
            }
            // the official count: the text after {instruction}, tokenized without special tokens
            assertThat(hf.encode(f.suffix(), false, false).getIds()).hasSize(positions);
        }
        assertThat(enc.postInstructionTokens()).isEqualTo(positions);
        assertThat(enc.refusalTokens()).containsExactly(refusal);
    }

    @Test
    void llama2PromptsAndPositionsAreTheOfficialOnes() throws Exception {
        Path dir = Shared.path("tokenizers", "hf", "tinyllama-chat");
        // six positions: the final space is a token of its own, the one the paper's Llama-2 direction (pos -1) sits on
        check(PaperFormat.LLAMA2, Tokenizer.load(dir), dir.resolve("tokenizer.json"), 6, new int[] {306});
    }

    @Test
    void qwenChatPromptsAndPositionsAreTheOfficialOnes() throws Exception {
        Path converted = OracleVariants.write(Path.of("target", "oracle-tokenizers")).get("qwen2.5-converted");
        check(PaperFormat.QWEN_CHAT, Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges")), converted, 5, new int[] {40, 2121});
    }

    @Test
    void familiesAreRecognisedFromArchitectureTemplateAndTokenizerNeverTheFolderName() throws Exception {
        Path sources = Shared.path("templates", "sources");
        assertThat(PaperFormat.of("LlamaForCausalLM", text(sources.resolve("Llama-2-7b-chat-hf.tokenizer_config.json")), "LlamaTokenizer")).isEqualTo(PaperFormat.LLAMA2);
        assertThat(PaperFormat.of("LlamaForCausalLM", text(sources.resolve("Llama-3.2-1B-Instruct.tokenizer_config.json")), "PreTrainedTokenizerFast")).isEqualTo(PaperFormat.LLAMA3);
        assertThat(PaperFormat.of("QWenLMHeadModel", null, "QWenTokenizer")).isEqualTo(PaperFormat.QWEN_CHAT);
        assertThat(PaperFormat.of("GemmaForCausalLM", "{{ '<start_of_turn>user\\n' }}", "GemmaTokenizer")).isEqualTo(PaperFormat.GEMMA);
        String chatml = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}";
        assertThat(PaperFormat.of("LlamaForCausalLM", chatml, "LlamaTokenizer")).isEqualTo(PaperFormat.YI_CHAT);
        // not the paper's: a byte-level BPE Llama with ChatML (the bundled organism), Qwen2.5, TinyLlama's Zephyr format
        assertThat(PaperFormat.of("LlamaForCausalLM", chatml, "PreTrainedTokenizerFast")).isNull();
        assertThat(PaperFormat.of("Qwen2ForCausalLM", text(sources.resolve("Qwen2.5-0.5B-Instruct.tokenizer_config.json")), "Qwen2Tokenizer")).isNull();
        assertThat(PaperFormat.of("LlamaForCausalLM", Files.readString(sources.resolve("TinyLlama-1.1B-Chat-v1.0.jinja")), "LlamaTokenizer")).isNull();
    }

    @Test
    void aTemplateThatAddsASystemPromptByItselfIsNoticed() throws Exception {
        Tokenizer qwen = Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"));
        Path sources = Shared.path("templates", "sources");
        PromptEncoder injected = new PromptEncoder(template(sources.resolve("Qwen2.5-0.5B-Instruct.tokenizer_config.json")), qwen, null, java.time.LocalDate.of(2024, 7, 26));
        assertThat(injected.templateInjectsSystemPrompt()).isTrue();
        PromptEncoder given = new PromptEncoder(template(sources.resolve("Qwen2.5-0.5B-Instruct.tokenizer_config.json")), qwen, "Be brief.", java.time.LocalDate.of(2024, 7, 26));
        assertThat(given.templateInjectsSystemPrompt()).isFalse();
        PromptEncoder llama2 = new PromptEncoder(template(sources.resolve("Llama-2-7b-chat-hf.tokenizer_config.json")), qwen, null, java.time.LocalDate.of(2024, 7, 26));
        assertThat(llama2.templateInjectsSystemPrompt()).isFalse();
        PromptEncoder llama32 = new PromptEncoder(template(sources.resolve("Llama-3.2-1B-Instruct.tokenizer_config.json")), qwen, null, java.time.LocalDate.of(2024, 7, 26));
        assertThat(llama32.templateInjectsSystemPrompt()).isTrue();   // the dated header
    }

    static String text(Path tokenizerConfig) throws Exception {
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(tokenizerConfig.toFile()).get("chat_template").asText();
    }

    static ChatTemplate template(Path tokenizerConfig) throws Exception {
        return ChatTemplate.of(text(tokenizerConfig), Map.of("bos_token", "<s>", "eos_token", "</s>"));
    }
}
