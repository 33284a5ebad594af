package dev.refusal4j.evaluate;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.LogSoftmax;

import java.util.List;
import java.util.function.Supplier;

/**
 * Test reference for {@link ChatLoss}: the prompt's tokens and the response's tokens taken apart and
 * joined, every response token scored — a second route to the same number where the two
 * tokenizations agree: the mean cross-entropy of the response tokens of (prompt, response) pairs.
 */
public final class Loss {
    private Loss() {}

    public static double crossEntropy(Transformer model, PromptEncoder encoder, List<Completion> completions, Supplier<Hooks> hooks,
                                      ProgressListener progress) {
        double sum = 0;
        long n = 0, done = 0;
        int V = model.config.vocab;
        for (Completion c : completions) {
            int[] prompt = encoder.encode(c.instruction());
            int[] resp = encoder.tokenizer.encode(c.response(), false);
            progress.done(++done);
            if (resp.length == 0) continue;
            int T = Math.min(prompt.length + resp.length, model.config.maxPositions);
            int[] ids = new int[T];
            System.arraycopy(prompt, 0, ids, 0, Math.min(prompt.length, T));
            if (T > prompt.length) System.arraycopy(resp, 0, ids, prompt.length, T - prompt.length);
            float[] logits = model.forward(Forward.of(ids).hooks(hooks.get()));   // every position's logits
            for (int t = prompt.length - 1; t < T - 1; t++) {
                sum -= LogSoftmax.logProb(logits, t * V, V, ids[t + 1]);
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
