package dev.refusal4j.attack;

import dev.refusal4j.chat.PromptEncoder;

/**
 * One prompt of a suffix attack as token ids, laid out as GCG optimizes it:
 * <pre>
 *   before  = template up to and including "instruction "    (rendered, tokenized with BOS)
 *   suffix  = the optimized tokens                           (positions before.length ..)
 *   after   = the rest of the template (end of turn, generation prompt)
 *   target  = the completion to make likely ("Sure, here is …")
 * </pre>
 * The template is rendered once with a marker in the suffix's place and the text is cut there, so
 * the suffix positions are known by construction, whatever the template adds around the
 * instruction; the suffix is spliced in as ids, never re-tokenized with its neighbours.
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
        String head = rendered.substring(0, at), tail = rendered.substring(at + MARKER.length());
        int[] before = enc.tokenize(head);
        return new AttackPrompt(instruction, before, enc.tokenizer.encode(tail, false), enc.tokenizer.encode(target, false));
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
