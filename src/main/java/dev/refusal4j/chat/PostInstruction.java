package dev.refusal4j.chat;

/**
 * The post-instruction positions: the template's tokens after the user's text (for Llama-2
 * " [/INST]", for ChatML "<|im_end|>\n<|im_start|>assistant\n"). Like the official code they are
 * numbered from the end of the prompt, -n..-1, so one index names the same template token in
 * prompts of any length; candidate arrays are indexed by {@code n + position}.
 */
public final class PostInstruction {
    private PostInstruction() {}

    /**
     * The template text after the user's instruction, found by rendering the template with a
     * placeholder instruction: everything after the placeholder's last occurrence (the official
     * code splits its template string at "{instruction}" and takes the last part).
     */
    public static String suffix(String rendered, String placeholder) {
        int at = rendered.lastIndexOf(placeholder);
        if (at < 0) {
            throw new IllegalArgumentException("the rendered chat template does not contain the placeholder instruction '"
                    + placeholder + "'; the template drops or rewrites the user's text");
        }
        return rendered.substring(at + placeholder.length());
    }

    /** The positions -n..-1 for n post-instruction tokens. */
    public static int[] positions(int n) {
        if (n <= 0) throw new IllegalArgumentException("the chat template has no tokens after the instruction (n = " + n + ")");
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i - n;
        return p;
    }

    /** Index into a sequence of length seqLen of a negative position. */
    public static int index(int position, int seqLen) {
        if (position >= 0 || -position > seqLen) {
            throw new IllegalArgumentException("position " + position + " is outside a sequence of " + seqLen + " tokens");
        }
        return seqLen + position;
    }

    /** Row of a candidate array [n positions] for a negative position. */
    public static int row(int position, int n) {
        if (position >= 0 || -position > n) throw new IllegalArgumentException("position " + position + " is not within -" + n + "..-1");
        return n + position;
    }
}
