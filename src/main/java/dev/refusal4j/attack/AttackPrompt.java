package dev.refusal4j.attack;

import dev.refusal4j.chat.PromptEncoder;

/**
 * One prompt of a suffix attack as token ids, laid out as GCG optimizes it:
 * <pre>
 *   before  = template up to and including "instruction"     (rendered, tokenized with BOS)
 *   suffix  = the optimized tokens, " " + the suffix's text   (positions before.length ..)
 *   after   = the rest of the template (end of turn, generation prompt)
 *   target  = the completion to make likely ("Sure, here is …")
 * </pre>
 * The template is rendered once with a marker in the suffix's place and the text is cut there, so
 * the suffix positions are known by construction, whatever the template adds around the
 * instruction. The space between instruction and suffix belongs to the suffix's tokens, as the
 * tokenizer joins it to the word after it ("lock? gun" is "lock", "?", " gun"): the ids optimized
 * are the ids the prompt has when the suffix is given as text ({@link #suffixIds}), which GCG
 * checks for every candidate, so that the suffix a user pastes is the one that was optimized.
 */
public record AttackPrompt(String instruction, int[] before, int[] after, int[] target) {
    private static final String MARKER = "\u0001suffix\u0001";

    public AttackPrompt {
        if (target.length == 0) throw new IllegalArgumentException("the target text tokenizes to nothing");
        if (before.length == 0) throw new IllegalArgumentException("the instruction and the template before the suffix tokenize to nothing");
        before = before.clone();
        after = after.clone();
        target = target.clone();
    }

    /**
     * The user message of an instruction with a suffix: the suffix follows the instruction after one
     * space. The one rule for where a suffix goes, shared by the attack, {@code generate --suffix} and
     * the suffix analysis, so that a suffix found here is tested and analysed where it was optimized.
     */
    public static String withSuffix(String instruction, String suffix) {
        return instruction + " " + suffix;
    }

    public static AttackPrompt of(PromptEncoder enc, String instruction, String target) {
        String rendered = enc.render(withSuffix(instruction, MARKER));
        int at = rendered.indexOf(MARKER);
        if (at < 0 || rendered.indexOf(MARKER, at + 1) >= 0) {
            throw new IllegalArgumentException("the chat template does not render the instruction exactly once; cannot place a suffix");
        }
        int cut = at > 0 && rendered.charAt(at - 1) == ' ' ? at - 1 : at; // the space goes with the suffix
        String head = rendered.substring(0, cut), tail = rendered.substring(at + MARKER.length());
        int[] before = enc.tokenize(head);
        return new AttackPrompt(instruction, before, enc.tokenizer.encode(tail, false), enc.tokenizer.encode(target, false));
    }

    /**
     * The ids {@code text} takes as this prompt's suffix when given as text ({@link #withSuffix}): the
     * tokens between {@link #before} and {@link #after} of the whole prompt tokenized, or null when
     * the tokenizer does not keep them apart (merges across the suffix's ends).
     */
    public int[] suffixIds(PromptEncoder enc, String text) {
        int[] full = enc.encode(withSuffix(instruction, text));
        int end = full.length - after.length;
        if (end < before.length
                || !java.util.Arrays.equals(full, 0, before.length, before, 0, before.length)
                || !java.util.Arrays.equals(full, end, full.length, after, 0, after.length)) return null;
        return java.util.Arrays.copyOfRange(full, before.length, end);
    }

    /** The text of suffix ids as a user gives it: decoded, without the space that {@link #withSuffix} puts before it. */
    public static String suffixText(dev.refusal4j.tokenizer.Tokenizer tokenizer, int[] ids) {
        String s = tokenizer.decode(ids, false);
        return s.startsWith(" ") ? s.substring(1) : s;
    }

    /** The first suffix position. */
    public int suffixStart() {
        return before.length;
    }

    /** Prompt ids with {@code suffix} in place, without the target: what generation starts from. */
    public int[] prompt(int[] suffix) {
        int[] ids = new int[before.length + suffix.length + after.length];
        System.arraycopy(before, 0, ids, 0, before.length);
        System.arraycopy(suffix, 0, ids, before.length, suffix.length);
        System.arraycopy(after, 0, ids, before.length + suffix.length, after.length);
        return ids;
    }

    /** Prompt and target ids: what the loss is computed on. */
    public int[] withTarget(int[] suffix) {
        int[] p = prompt(suffix);
        int[] ids = java.util.Arrays.copyOf(p, p.length + target.length);
        System.arraycopy(target, 0, ids, p.length, target.length);
        return ids;
    }

    /** Where the target starts in {@link #withTarget}. */
    public int targetFrom(int suffixLength) {
        return before.length + suffixLength + after.length;
    }
}
