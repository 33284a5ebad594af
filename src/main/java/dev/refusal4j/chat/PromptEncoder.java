package dev.refusal4j.chat;

import dev.refusal4j.io.TextFiles;

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
 * system prompt, the user's instruction) either rendered with the model's chat template and its
 * generation prompt, then tokenized without adding a BOS the template already wrote; or, for the
 * paper's model families, in the paper's own format ({@link PaperFormat}), tokenized as its code
 * does.
 */
public final class PromptEncoder {
    /** Which prompt a run uses: the paper code's for the paper's families, or the model's template as deployed. */
    public enum Format {
        /** The paper's format for its families; other models: their own template without a system prompt. */
        PAPER,
        /** The model's chat template as deployed, with whatever it adds by itself. */
        MODEL;

        public static Format parse(String text) {
            return switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "paper" -> PAPER;
                case "model" -> MODEL;
                default -> throw new IllegalArgumentException("--prompt-format must be 'paper' or 'model', got '" + text + "'");
            };
        }
    }

    public final ChatTemplate template;   // null when the paper's format is used and the model has no template
    public final PaperFormat paper;       // null: the template renders the prompt
    public final Tokenizer tokenizer;
    public final String system;    // null: no system message
    private final LocalDate date;  // what strftime_now sees, fixed for reproducible prompts

    public PromptEncoder(ChatTemplate template, Tokenizer tokenizer, String system, LocalDate date) {
        this(template, null, tokenizer, system, date);
    }

    private PromptEncoder(ChatTemplate template, PaperFormat paper, Tokenizer tokenizer, String system, LocalDate date) {
        this.template = template;
        this.paper = paper;
        this.tokenizer = tokenizer;
        this.system = system;
        this.date = date;
    }

    /** The model directory's tokenizer and template, or a template file that replaces the model's. */
    public static PromptEncoder load(Path modelDir, Path templateFile, String system) throws IOException {
        return load(modelDir, templateFile, system, Format.MODEL, null);
    }

    /**
     * The encoder a run uses.
     *
     * @param architecture the model's {@code architectures[0]}, which with its template tells the paper's family
     */
    public static PromptEncoder load(Path modelDir, Path templateFile, String system, Format format, String architecture) throws IOException {
        Tokenizer tok = Tokenizer.load(modelDir);
        LocalDate date = LocalDate.of(2024, 7, 26);
        ChatTemplate t;
        if (templateFile != null) {
            if (!Files.isRegularFile(templateFile)) throw new ChatTemplateException("template file not found: " + templateFile);
            Map<String, Object> special = new LinkedHashMap<>();
            tok.bosId().ifPresent(id -> special.put("bos_token", tok.piece(id)));
            tok.eosId().ifPresent(id -> special.put("eos_token", tok.piece(id)));
            t = ChatTemplate.of(TextFiles.read(templateFile), special);
        } else if (format == Format.PAPER && !TemplateSource.exists(modelDir)) {
            t = null;   // Qwen-1 chat ships no template: the paper's format is all there is
        } else {
            t = ChatTemplate.load(modelDir);
        }
        if (format == Format.PAPER && templateFile == null) {
            PaperFormat family = PaperFormat.of(architecture == null ? "" : architecture, t == null ? null : t.text(), TemplateSource.tokenizerClass(modelDir));
            if (family != null) return new PromptEncoder(t, family, tok, system, date);
        }
        if (t == null) throw new ChatTemplateException(modelDir + " has no chat template and is not one of the paper's model families; give one with --template FILE");
        return new PromptEncoder(t, null, tok, system, date);
    }

    /** An encoder of the paper's format of a family with the given tokenizer (no model folder needed). */
    public static PromptEncoder paper(PaperFormat family, Tokenizer tokenizer, String system) {
        return new PromptEncoder(null, family, tokenizer, system, LocalDate.of(2024, 7, 26));
    }

    /** The paper's family whose format this encoder uses, or null when the chat template renders the prompt. */
    public PaperFormat paperFormat() {
        return paper;
    }

    /**
     * Whether the chat template writes a system prompt the user did not give (Qwen2.5's "You are
     * Qwen…", Llama-3.1's dated header): it then renders more before the instruction with no system
     * message than with an empty one, or writes the same system block for both.
     */
    public boolean templateInjectsSystemPrompt() {
        if (paper != null || system != null || template == null) return false;
        try {
            String none = template.preInstructionText(null, date), empty = template.preInstructionText("", date);
            if (!none.equals(empty)) return none.length() > empty.length();
            String mark = "REFUSAL4J_SYSTEM_MARK", withMark = template.preInstructionText(mark, date);
            int at = withMark.indexOf(mark);
            return at > 0 && none.contains(withMark.substring(0, at)) && !withMark.substring(0, at).equals(none);
        } catch (RuntimeException e) {
            return false;   // a template that refuses system messages injects none
        }
    }

    public List<Map<String, Object>> messages(String instruction) {
        List<Map<String, Object>> m = new ArrayList<>();
        if (system != null) m.add(Map.of("role", "system", "content", system));
        m.add(Map.of("role", "user", "content", instruction));
        return m;
    }

    public String render(String instruction) {
        if (paper != null) return paper.render(instruction, system);
        return template.render(messages(instruction), true, null, date);
    }

    public int[] encode(String instruction) {
        return tokenize(render(instruction));
    }

    /** Ids of rendered prompt text (or a prefix of it), tokenized as {@link #encode} tokenizes a whole prompt. */
    public int[] tokenize(String rendered) {
        // the paper's code tokenizes its strings with the tokenizer's own special tokens (BOS where it adds one)
        return paper != null ? tokenizer.encode(rendered, true) : tokenizer.encodeRendered(rendered);
    }

    /** The text after the instruction (the post-instruction tokens' text). */
    public String postInstructionText() {
        if (paper != null) return paper.suffix();
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

    /**
     * The refusal tokens: how the model spells the first token of its family's refusal words in the
     * paper ("I" for Llama-2, Llama-3, Gemma and Yi; "I" and "As" for Qwen), and of "I" and "As" for
     * any other model.
     */
    public int[] refusalTokens() {
        List<String> words = paper != null ? paper.refusalWords : List.of("I", "As");
        return words.stream().mapToInt(this::firstTokenOf).distinct().toArray();
    }
}
