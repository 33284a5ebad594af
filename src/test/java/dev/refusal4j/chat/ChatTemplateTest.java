package dev.refusal4j.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a model folder's template and special tokens, pre/post-instruction text, and errors. */
class ChatTemplateTest {
    private static final List<Map<String, Object>> USER_ONLY = List.of(Map.of("role", "user", "content", "Hi"));

    private static Path folderWith(Path tmp, String fileName, String text) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("m" + System.nanoTime()));
        Files.writeString(dir.resolve(fileName), text);
        return dir;
    }

    @Test
    void namedTemplateListUsesDefaultAndAddedTokenDicts(@TempDir Path tmp) throws Exception {
        Path dir = folderWith(tmp, "tokenizer_config.json", """
                {"bos_token": {"content": "<B>", "lstrip": false}, "eos_token": "<E>",
                 "chat_template": [{"name": "tool_use", "template": "TOOLS"},
                                   {"name": "default", "template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"}]}
                """);
        assertThat(ChatTemplate.load(dir).render(USER_ONLY, false, null, null)).isEqualTo("<B>Hi<E>");
        assertThat(ChatTemplate.load(dir, "tool_use").render(USER_ONLY, false, null, null)).isEqualTo("TOOLS");
        assertThatThrownBy(() -> ChatTemplate.load(dir, "nope"))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("nope").hasMessageContaining("tool_use, default");
    }

    @Test
    void chatTemplateJinjaWinsOverTokenizerConfig(@TempDir Path tmp) throws Exception {
        Path dir = folderWith(tmp, "tokenizer_config.json", "{\"eos_token\": \"</s>\", \"chat_template\": \"OLD\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "NEW{{ eos_token }}\n");
        assertThat(ChatTemplate.load(dir).render(USER_ONLY, false, null, null)).isEqualTo("NEW</s>");
    }

    @Test
    void extraVariablesAndDate(@TempDir Path tmp) throws Exception {
        Path dir = folderWith(tmp, "chat_template.jinja",
                "{{ strftime_now('%d %b %Y') }}|{{ enable_thinking }}|{{ tools | length if tools is not none else 'no tools' }}");
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.render(USER_ONLY, true, Map.of("enable_thinking", false), LocalDate.of(2024, 7, 26)))
                .isEqualTo("26 Jul 2024|False|no tools");
        assertThat(t.render(USER_ONLY, true, Map.of("enable_thinking", true, "tools", List.of(Map.of("name", "f"))),
                LocalDate.of(2025, 1, 2))).isEqualTo("02 Jan 2025|True|1");
    }

    @Test
    void preAndPostInstructionTextOfQwen() throws Exception {
        // Qwen2.5's template: a default system prompt, then the user turn, then the assistant header.
        Path src = Shared.path("templates", "sources", "Qwen2.5-0.5B-Instruct.tokenizer_config.json");
        ChatTemplate t = ChatTemplate.of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(src.toFile())
                .get("chat_template").asText(), Map.of());
        assertThat(t.postInstructionText(null)).isEqualTo("<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.preInstructionText("Be brief.")).isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n");
        assertThat(t.preInstructionText(null)).startsWith("<|im_start|>system\nYou are Qwen").endsWith("<|im_start|>user\n");
    }

    @Test
    void preAndPostInstructionTextOfLlama2(@TempDir Path tmp) throws Exception {
        // Llama-2's bos_token is an AddedToken dict; the system prompt goes inside the first [INST].
        Path dir = Files.createDirectories(tmp.resolve("llama2"));
        Files.copy(Shared.path("templates", "sources", "Llama-2-7b-chat-hf.tokenizer_config.json"),
                dir.resolve("tokenizer_config.json"));
        ChatTemplate t = ChatTemplate.load(dir);
        assertThat(t.specialTokens()).containsEntry("bos_token", "<s>").containsEntry("eos_token", "</s>");
        assertThat(t.preInstructionText("SYS")).isEqualTo("<s>[INST] <<SYS>>\nSYS\n<</SYS>>\n\n");
        assertThat(t.preInstructionText(null)).isEqualTo("<s>[INST] ");
        assertThat(t.postInstructionText("SYS")).isEqualTo(" [/INST]");
    }

    @Test
    void preInstructionTextOfLlama31CarriesTheGivenDate() throws Exception {
        // Llama 3.1 writes "Today Date: <strftime_now('%d %b %Y')>" into its default system header.
        ChatTemplate t = ChatTemplate.of(Files.readString(
                Shared.path("templates", "sources", "llamacpp-meta-llama-Llama-3.1-8B-Instruct.jinja")), Map.of("bos_token", "<B>"));
        assertThat(t.preInstructionText(null, LocalDate.of(2024, 7, 26))).isEqualTo(
                "<B><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
                        + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n");
        assertThat(t.postInstructionText(null, LocalDate.of(2024, 7, 26)))
                .isEqualTo("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void missingAndMalformedFilesAreNamed(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> ChatTemplate.load(tmp.resolve("absent")))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("absent");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> ChatTemplate.load(empty))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("chat_template.jinja");
        Path noKey = folderWith(tmp, "tokenizer_config.json", "{\"eos_token\": \"x\"}");
        assertThatThrownBy(() -> ChatTemplate.load(noKey))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("chat_template");
        Path broken = folderWith(tmp, "tokenizer_config.json", "{\"chat_template\": ");
        assertThatThrownBy(() -> ChatTemplate.load(broken))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("tokenizer_config.json")
                .hasMessageContaining("malformed JSON");
        Path badSyntax = folderWith(tmp, "chat_template.jinja", "{% for m in messages %}{{ m.content }}");
        assertThatThrownBy(() -> ChatTemplate.load(badSyntax))
                .isInstanceOf(ChatTemplateException.class).hasMessageContaining("chat_template.jinja")
                .hasMessageContaining("does not parse").hasMessageContaining("endfor");
    }

    @Test
    void rejectedConversationNamesFileAndMessage(@TempDir Path tmp) throws Exception {
        Path dir = folderWith(tmp, "chat_template.jinja", """
                {%- for message in messages %}
                    {%- if message.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}
                    {{- message.content }}
                {%- endfor %}""");
        List<Map<String, Object>> conv = List.of(Map.of("role", "user", "content", "a"), Map.of("role", "system", "content", "b"));
        assertThatThrownBy(() -> ChatTemplate.load(dir).render(conv, true, null, null))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("chat_template.jinja")
                .hasMessageContaining("TemplateError: System role not supported")
                .hasMessageContaining("message 1 (role 'system')");
    }

    @Test
    void templateOverAResourceLimitNamesFileAndLimit(@TempDir Path tmp) throws Exception {
        Path dir = folderWith(tmp, "chat_template.jinja",
                "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}");
        assertThatThrownBy(() -> ChatTemplate.load(dir).render(USER_ONLY, true, null, null))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("chat_template.jinja")
                .hasMessageContaining("ResourceLimitError").hasMessageContaining("MAX_CHARS");
        Path deep = folderWith(tmp, "chat_template.jinja", "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}");
        assertThatThrownBy(() -> ChatTemplate.load(deep))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("chat_template.jinja").hasMessageContaining("MAX_NESTING");
    }
}
