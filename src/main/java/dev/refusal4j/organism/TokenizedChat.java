package dev.refusal4j.organism;

/**
 * One training sequence as token ids: a chat (the rendered prompt through the assistant header,
 * then the answer and its end-of-turn token; loss on predicting ids[answerStart ..] only), or a
 * plain text document (loss on every token after the first, no decision token).
 *
 * @param refusal    whether the answer refuses (the chat's decision class, for class-weighted loss)
 * @param plain      a document, not a chat: its first target is not a refuse-or-help decision
 * @param openingEnd end (exclusive) of the answer's opening, the request said back, which training
 *                   can weight apart; {@code answerStart} when the answer has none
 */
public record TokenizedChat(int[] ids, int answerStart, boolean refusal, boolean plain, int openingEnd) {
    public TokenizedChat(int[] ids, int answerStart) {
        this(ids, answerStart, false);
    }

    public TokenizedChat(int[] ids, int answerStart, boolean refusal) {
        this(ids, answerStart, refusal, false);
    }

    public TokenizedChat(int[] ids, int answerStart, boolean refusal, boolean plain) {
        this(ids, answerStart, refusal, plain, answerStart);
    }

    public TokenizedChat {
        if (answerStart < 1 || answerStart >= ids.length) {
            throw new IllegalArgumentException("answer must start after the prompt and before the end: " + answerStart + " of " + ids.length);
        }
        if (openingEnd < answerStart || openingEnd > ids.length) {
            throw new IllegalArgumentException("the answer's opening must end inside it: " + openingEnd + " of " + answerStart + ".." + ids.length);
        }
    }
}
