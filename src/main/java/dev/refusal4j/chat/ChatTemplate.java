package dev.refusal4j.chat;

import dev.refusal4j.chat.jinja.JinjaException;
import dev.refusal4j.chat.jinja.Template;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template, rendered exactly as Hugging Face's {@code apply_chat_template} renders
 * it: variables {@code messages}, {@code tools=None}, {@code documents=None},
 * {@code add_generation_prompt}, the special tokens, then the caller's extra variables.
 */
public final class ChatTemplate {
    /** Stands for the user's text when finding what the template writes around it. */
    static final String PLACEHOLDER = "REFUSAL4J_INSTRUCTION_PLACEHOLDER";

    private final Template template;
    private final String text;                       // the template's source
    private final String sourceName;                 // file (or "<inline template>") named in errors
    private final Map<String, Object> specialTokens; // bos_token, eos_token, ... -> text

    private ChatTemplate(Template template, String text, String sourceName, Map<String, Object> specialTokens) {
        this.template = template;
        this.text = text;
        this.sourceName = sourceName;
        this.specialTokens = specialTokens;
    }

    /** The template of a model folder (chat_template.jinja, or tokenizer_config.json's "default"). */
    public static ChatTemplate load(Path modelDir) {
        return load(modelDir, null);
    }

    /** Like {@link #load(Path)}, choosing a named template of a {@code chat_template} list. */
    public static ChatTemplate load(Path modelDir, String templateName) {
        TemplateSource src = TemplateSource.find(modelDir, templateName);
        return compile(src.text(), src.file().toString(), src.specialTokens());
    }

    public static ChatTemplate of(String source, Map<String, Object> specialTokens) {
        return compile(source, "<inline template>", specialTokens == null ? Map.of() : specialTokens);
    }

    private static ChatTemplate compile(String source, String name, Map<String, Object> tokens) {
        try {
            return new ChatTemplate(Template.parse(source), source, name, new LinkedHashMap<>(tokens));
        } catch (JinjaException e) {
            throw new ChatTemplateException("chat template " + name + " does not parse: " + e.describe(), e);
        }
    }

    /** The template's jinja source. */
    public String text() {
        return text;
    }

    /** Where this template came from (a file path, or "<inline template>"). */
    public String sourceName() {
        return sourceName;
    }

    /** The special tokens given to the template as variables (e.g. bos_token -> "<s>"). */
    public Map<String, Object> specialTokens() {
        return Map.copyOf(specialTokens);
    }

    /**
     * Renders a conversation. {@code extraVariables} (may be null) override the defaults, e.g.
     * {@code tools}, {@code enable_thinking}, {@code date_string}; {@code date} is the day
     * {@code strftime_now} sees (null = today).
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
                         Map<String, Object> extraVariables, LocalDate date) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", messages);
        vars.put("tools", null);
        vars.put("documents", null);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.putAll(specialTokens);
        if (extraVariables != null) vars.putAll(extraVariables);
        LocalDateTime now = date == null ? LocalDateTime.now() : date.atStartOfDay();
        try {
            return template.render(vars, now);
        } catch (Template.RenderException e) {
            String where = e.context() != null ? " while rendering " + e.context() : " (conversation roles: " + roles(messages) + ")";
            throw new ChatTemplateException("chat template " + sourceName + " failed: " + e.getMessageWithoutContext() + where, e);
        }
    }

    private static String roles(List<Map<String, Object>> messages) {
        List<String> r = new ArrayList<>();
        for (Map<String, Object> m : messages) r.add(String.valueOf(m.get("role")));
        return String.join(", ", r);
    }

    /** Template text after the user's text in a one-turn conversation with the generation prompt. */
    public String postInstructionText(String systemPromptOrNull) {
        return postInstructionText(systemPromptOrNull, null);
    }

    /** Like {@link #postInstructionText(String)}, with the day strftime_now sees (null = today). */
    public String postInstructionText(String systemPromptOrNull, LocalDate date) {
        String full = renderPlaceholder(systemPromptOrNull, date);
        return full.substring(full.lastIndexOf(PLACEHOLDER) + PLACEHOLDER.length());
    }

    /** Template text before the user's text in a one-turn conversation with the generation prompt. */
    public String preInstructionText(String systemPromptOrNull) {
        return preInstructionText(systemPromptOrNull, null);
    }

    /** Like {@link #preInstructionText(String)}, with the day strftime_now sees (null = today). */
    public String preInstructionText(String systemPromptOrNull, LocalDate date) {
        String full = renderPlaceholder(systemPromptOrNull, date);
        return full.substring(0, full.indexOf(PLACEHOLDER));
    }

    private String renderPlaceholder(String system, LocalDate date) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        if (system != null) msgs.add(Map.of("role", "system", "content", system));
        msgs.add(Map.of("role", "user", "content", PLACEHOLDER));
        String full = render(msgs, true, null, date);
        if (!full.contains(PLACEHOLDER)) {
            throw new ChatTemplateException("chat template " + sourceName
                    + " does not write the user's message verbatim, so the text around it cannot be found");
        }
        return full;
    }
}
