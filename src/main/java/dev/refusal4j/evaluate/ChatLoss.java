package dev.refusal4j.evaluate;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The paper's loss on chat responses (evaluate_loss.py: {@code batch_iterator_chat_completions},
 * used for its "alpaca" set and for the model's own harmless baseline completions, the
 * "on-distribution" set {@code alpaca_custom_completions}): the mean cross-entropy of the response
 * tokens of (instruction, response) pairs under a condition's hooks.
 *
 * <p>How it differs from the simpler route the tests check it against (the prompt's and the
 * response's tokens taken apart and joined):
 * <ul>
 *   <li>Tokens: here the chat template's rendering of the instruction and the response are one
 *       string, tokenized once (the official {@code tokenize_instructions_fn(instructions,
 *       outputs)}); that route tokenizes the response on its own and appends it to the prompt's
 *       tokens. The two differ where a token would span the boundary (a response that begins with
 *       a space or a line break after a template ending in one, or a SentencePiece tokenizer that
 *       puts a word-start mark on the response's first word).</li>
 *   <li>Which tokens count: here every token after the first occurrence of the template's
 *       post-instruction tokens (the official {@code eoi_toks} search; the last of those tokens
 *       predicts the response's first); that route counts from the end of the prompt's own
 *       tokens. They agree whenever the joint tokens begin with the prompt's tokens.</li>
 *   <li>Length: here a pair longer than the model's context keeps its first tokens and is counted
 *       in {@link CrossEntropy#truncated} (the official code does not truncate: its models' contexts
 *       are far longer than its completions); that route truncates without saying so.</li>
 * </ul>
 * Both count no end-of-turn token (the response text is all there is) and give an empty response
 * no term. Unlike the official Llama-3 template, which starts with a stray quote character and gets a
 * second BOS from the tokenizer, the model's own chat template is rendered and tokenized as
 * {@link PromptEncoder} does for every other stage.
 */
public final class ChatLoss {
    private ChatLoss() {}

    /**
     * The mean cross-entropy of the responses of {@code completions} (fresh hooks per forward call;
     * null: none); {@code progress} counts the completions scored (those with a response token).
     */
    public static CrossEntropy crossEntropy(Transformer model, PromptEncoder encoder, List<Completion> completions, Supplier<Hooks> hooks,
                                            int batchSize, ProgressListener progress) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size " + batchSize + ": at least 1");
        Tokenizer tok = encoder.tokenizer;
        int[] eoi = tok.encode(encoder.postInstructionText(), false);
        int context = model.config.maxPositions;
        List<int[]> seqs = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        int truncated = 0;
        for (int i = 0; i < completions.size(); i++) {
            Completion c = completions.get(i);
            int[] ids = tok.encodeRendered(encoder.render(c.instruction()) + c.response());
            int first = responseStart(ids, eoi, encoder.encode(c.instruction()));
            if (first < 0) {
                throw new IllegalArgumentException("completion " + (i + 1) + " (instruction '" + abbreviate(c.instruction())
                        + "'): the template's tokens after the instruction are not found in the tokens of prompt and response");
            }
            if (ids.length > context) {
                ids = Arrays.copyOf(ids, context);
                truncated++;
            }
            if (first >= ids.length - 1) continue;   // no response token left to predict
            seqs.add(ids);
            from.add(first);
        }
        int[] start = from.stream().mapToInt(Integer::intValue).toArray();
        double[] sum = CorpusLoss.negLogLikelihood(model, seqs, start, hooks, batchSize, progress);
        return CrossEntropy.of(sum[0], (long) sum[1], completions.size(), truncated);
    }

    /**
     * The position whose next token is the response's first: the last of the first occurrence of
     * the post-instruction tokens; when they do not occur (a tokenizer that merged them with the
     * instruction), the prompt's last token if the joint tokens begin with the prompt's; else −1.
     */
    static int responseStart(int[] ids, int[] eoi, int[] prompt) {
        if (eoi.length > 0) {
            for (int i = 0; i + eoi.length <= ids.length; i++) {
                if (Arrays.equals(ids, i, i + eoi.length, eoi, 0, eoi.length)) return i + eoi.length - 1;
            }
        }
        if (prompt.length > 0 && prompt.length <= ids.length && Arrays.equals(ids, 0, prompt.length, prompt, 0, prompt.length)) return prompt.length - 1;
        return -1;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
