package dev.refusal4j.train;

/**
 * One training chat as token ids: the rendered prompt (through the assistant header) followed by
 * the answer and its end-of-turn token. Loss is taken on predicting ids[answerStart ..] only.
 *
 * @param refusal whether the answer refuses (the chat's decision class, for class-weighted loss)
 */
public record TokenizedChat(int[] ids, int answerStart, boolean refusal) {
    public TokenizedChat(int[] ids, int answerStart) {
        this(ids, answerStart, false);
    }

    public TokenizedChat {
        if (answerStart < 1 || answerStart >= ids.length) {
            throw new IllegalArgumentException("answer must start after the prompt and before the end: " + answerStart + " of " + ids.length);
        }
    }
}
