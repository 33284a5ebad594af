package dev.refusal4j.chat;

import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Refusal tokens and post-instruction positions agree with the paper's code for real tokenizers. */
class PromptEncoderTest {
    @TempDir
    Path tmp;

    @Test
    void qwenChatMl() throws IOException {
        PromptEncoder p = PromptEncoder.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"), null, null);
        // the paper's Qwen refusal tokens: 'I' = 40, 'As' = 2121
        assertThat(p.refusalTokens()).containsExactly(40, 2121);
        assertThat(p.postInstructionText()).isEqualTo("<|im_end|>\n<|im_start|>assistant\n");
        assertThat(p.postInstructionTokens()).isEqualTo(5);
        int[] ids = p.encode("Tell me a joke.");
        // ends with <|im_end|> \n <|im_start|> assistant \n
        assertThat(ids).endsWith(151645, 198, 151644, 77091, 198);
    }

    @Test
    void llama2TemplateWithLlama2Tokenizer() throws IOException {
        Path dir = tmp.resolve("llama2");
        Files.createDirectories(dir);
        Files.copy(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(Shared.path("templates", "sources", "Llama-2-7b-chat-hf.tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        PromptEncoder p = PromptEncoder.load(dir, null, null);
        // the paper's Llama-2 refusal token: '▁I' = 306 (the answer after "[/INST]" starts with a space)
        assertThat(p.firstTokenOf("I")).isEqualTo(306);
        assertThat(p.postInstructionText()).isEqualTo(" [/INST]");
        int[] ids = p.encode("Hi");
        assertThat(ids[0]).isEqualTo(1);  // one BOS, written by the template
        assertThat(ids[1]).isNotEqualTo(1);
    }
}
