package dev.refusal4j.chat;

import dev.refusal4j.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns an instruction into the token ids a chat model sees: a one-turn conversation (optional
 * system prompt, the user's instruction) rendered with the model's chat template and its
 * generation prompt, then tokenized without adding a BOS the template already wrote.
 */
public final class PromptEncoder {
    public final ChatTemplate template;
    public final Tokenizer tokenizer;
    public final String system;    // null: no system message
    private final LocalDate date;  // what strftime_now sees, fixed for reproducible prompts

    public PromptEncoder(ChatTemplate template, Tokenizer tokenizer, String system, LocalDate date) {
        this.template = template;
        this.tokenizer = tokenizer;
        this.system = system;
        this.date = date;
    }

    /** The model directory's tokenizer and template, or a template file that replaces the model's. */
    public static PromptEncoder load(Path modelDir, Path templateFile, String system) throws IOException {
        Tokenizer tok = Tokenizer.load(modelDir);
        ChatTemplate t;
        if (templateFile != null) {
            if (!Files.isRegularFile(templateFile)) throw new ChatTemplateException("template file not found: " + templateFile);
            Map<String, Object> special = new LinkedHashMap<>();
            tok.bosId().ifPresent(id -> special.put("bos_token", tok.piece(id)));
            tok.eosId().ifPresent(id -> special.put("eos_token", tok.piece(id)));
            t = ChatTemplate.of(Files.readString(templateFile), special);
        } else {
            t = ChatTemplate.load(modelDir);
        }
        return new PromptEncoder(t, tok, system, LocalDate.of(2024, 7, 26));
    }

    public List<Map<String, Object>> messages(String instruction) {
        List<Map<String, Object>> m = new ArrayList<>();
        if (system != null) m.add(Map.of("role", "system", "content", system));
        m.add(Map.of("role", "user", "content", instruction));
        return m;
    }

    public String render(String instruction) {
        return template.render(messages(instruction), true, null, date);
    }

    public int[] encode(String instruction) {
        return tokenizer.encodeRendered(render(instruction));
    }

    /** The chat-template text after the instruction (the post-instruction tokens' text). */
    public String postInstructionText() {
        return PostInstruction.suffix(render(PLACEHOLDER), PLACEHOLDER);
    }

    private static final String PLACEHOLDER = "{instruction}";

    /** How many tokens follow the instruction: the post-instruction positions are −n..−1. */
    public int postInstructionTokens() {
        return tokenizer.encode(postInstructionText(), false).length;
    }

    /**
     * The token the model would write first when its answer starts with {@code word}: the template's
     * generation prompt is followed by the word (with a space when the prompt does not end in
     * whitespace, as SentencePiece models then start their answer), and the first new token is taken.
     */
    public int firstTokenOf(String word) {
        String prompt = render("Hello");
        String suffix = postInstructionText();
        boolean space = !suffix.isEmpty() && !Character.isWhitespace(suffix.charAt(suffix.length() - 1));
        int[] base = tokenizer.encodeRendered(prompt);
        int[] full = tokenizer.encodeRendered(prompt + (space ? " " : "") + word);
        if (full.length > base.length && Arrays.equals(base, 0, base.length, full, 0, base.length)) return full[base.length];
        int[] alone = tokenizer.encode((space ? " " : "") + word, false);
        if (alone.length == 0) throw new IllegalStateException("the tokenizer gives no tokens for '" + word + "'");
        return alone[0];
    }

    /** The default refusal tokens: how the model spells the first token of "I" and of "As". */
    public int[] refusalTokens() {
        return Arrays.stream(new String[] {"I", "As"}).mapToInt(this::firstTokenOf).distinct().toArray();
    }
}
