package dev.refusal4j.evaluate;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.SharedPrefix;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.PyText;
import dev.refusal4j.tensor.LogSoftmax;
import dev.refusal4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Multiple-choice accuracy by log-likelihood, zero-shot, as lm-evaluation-harness scores a
 * {@code multiple_choice} task on a causal Hugging Face model:
 * <ul>
 *   <li>Each choice is a request (context = the question, continuation = {@link #TARGET_DELIMITER}
 *       + choice): {@code ConfigurableTask.construct_requests}. No chat template, no few-shot
 *       examples, no description (lm-eval's defaults for log-likelihood tasks).</li>
 *   <li>Tokens ({@link #encode}): trailing whitespace of the context moves to the front of the
 *       continuation; context + continuation is tokenized as one string and the context alone,
 *       and the continuation's tokens are the joint tokens after the context's count
 *       ({@code TemplateLM._encode_pair}). Both are tokenized with the tokenizer's own special
 *       tokens (HFLM's default {@code add_bos_token=None}), except that a string already starting
 *       with the BOS text gets none ({@code HFLM.tok_encode}). An empty context becomes the BOS
 *       token, or EOS without one ({@code TemplateLM.loglikelihood}).</li>
 *   <li>Log-likelihood ({@link #logLikelihoods}): Σ log p(continuation token | everything before it),
 *       the model reading context + continuation minus its last token, cut from the left to the
 *       context length when longer ({@code HFLM._loglikelihood_tokens}).</li>
 *   <li>Scores ({@code ConfigurableTask.process_results}): {@code acc} is 1 when the choice of
 *       largest log-likelihood is the gold one; {@code acc_norm} the same with each log-likelihood
 *       divided by its choice's length in characters (without the delimiter). Ties go to the first
 *       choice ({@code np.argmax}).</li>
 *   <li>Aggregate: the mean over questions, and its standard error as the sample standard
 *       deviation (n − 1) over √n ({@code metrics.mean_stderr}); NaN (lm-eval's "N/A") for one
 *       question.</li>
 * </ul>
 * Deliberate differences: a question whose own tokens do not fit the context, or a choice
 * whose tokens do not, is an error naming its line (lm-eval cuts the question from the left,
 * or fails an assertion); a question that fits but leaves too little room for a choice is cut
 * from the left as lm-eval does and counted in {@link Scores#truncated}. Choices that share the
 * question's tokens run them once (a shared-prefix KV cache), which changes nothing but float
 * rounding.
 */
public final class ChoiceAccuracy {
    /** lm-eval's {@code TaskConfig.target_delimiter}: what separates the question from a choice. */
    public static final String TARGET_DELIMITER = " ";

    private ChoiceAccuracy() {}

    /** One request's tokens: the context's and the continuation's. */
    public record Request(int[] context, int[] continuation) {}

    /**
     * A task's scores.
     *
     * @param correct      questions whose largest log-likelihood is the gold choice
     * @param correctNorm  the same with log-likelihood per character
     * @param truncated    questions cut from the left so that a choice fits the context
     */
    public record Scores(String task, int n, int correct, int correctNorm, double acc, double accStderr, double accNorm,
                         double accNormStderr, int truncated) {}

    /** lm-eval's tokenization of one (context, continuation) request for a causal model. */
    public static Request encode(Tokenizer tok, String context, String continuation) {
        if (context.isEmpty()) {
            int[] cont = tok.encode(continuation, false);
            int prefix = prefixToken(tok);
            if (cont.length > 0 && cont[0] == prefix) return new Request(new int[] {prefix}, Arrays.copyOfRange(cont, 1, cont.length));
            return new Request(new int[] {prefix}, cont);
        }
        int end = context.length();   // Python's rstrip(): its whitespace, not Java's
        while (end > 0 && PyText.isSpace(context.codePointBefore(end))) end -= Character.charCount(context.codePointBefore(end));
        continuation = context.substring(end) + continuation;
        context = context.substring(0, end);
        if (context.isEmpty()) throw new IllegalArgumentException("a context of only whitespace leaves nothing to condition on");
        int[] whole = encodeText(tok, context + continuation);
        int[] ctx = encodeText(tok, context);
        return new Request(ctx, Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length));
    }

    /** HFLM.tok_encode with add_special_tokens=None: the tokenizer's special tokens unless the text already starts with BOS. */
    private static int[] encodeText(Tokenizer tok, String text) {
        OptionalInt bos = tok.bosId().isPresent() ? tok.bosId() : tok.eosId();
        boolean hasBos = false;
        if (bos.isPresent()) {
            String bosText = tok.decode(new int[] {bos.getAsInt()}, false);
            hasBos = !bosText.isEmpty() && text.startsWith(bosText);
        }
        return tok.encode(text, !hasBos);
    }

    /** HFLM.prefix_token_id: BOS, else EOS. */
    private static int prefixToken(Tokenizer tok) {
        OptionalInt id = tok.bosId().isPresent() ? tok.bosId() : tok.eosId();
        if (id.isEmpty()) throw new IllegalArgumentException("an empty question needs a BOS or EOS token to stand for it, and the tokenizer has neither");
        return id.getAsInt();
    }

    /**
     * Summed log-probability of each request's continuation given its context (the requests of one
     * question: they usually share the context, which then runs once). A request longer than
     * {@code maxLength} + 1 tokens is cut from the left; {@code truncated[0]} is set when one was.
     */
    public static double[] logLikelihoods(Transformer model, List<Request> requests, Supplier<Hooks> hooks, int maxLength, boolean[] truncated) {
        int k = requests.size(), V = model.config.vocab;
        List<int[]> inputs = new ArrayList<>(k);
        int[] contLen = new int[k];
        int prefix = Integer.MAX_VALUE;   // slots that every input shares and that predict no continuation token
        for (int i = 0; i < k; i++) {
            Request r = requests.get(i);
            if (r.context.length == 0 || r.continuation.length == 0) throw new IllegalArgumentException("request " + i + " has an empty context or continuation");
            if (r.continuation.length > maxLength) throw new IllegalArgumentException("request " + i + ": a continuation of " + r.continuation.length + " tokens does not fit a context of " + maxLength);
            int total = r.context.length + r.continuation.length;
            int keep = Math.min(total, maxLength + 1);
            if (keep < total && truncated != null) truncated[0] = true;
            int[] in = new int[keep - 1];   // the last token of (context + continuation)[-keep:] is only predicted
            for (int s = 0; s < in.length; s++) {
                int src = total - keep + s;
                in[s] = src < r.context.length ? r.context[src] : r.continuation[src - r.context.length];
            }
            inputs.add(in);
            contLen[i] = r.continuation.length;
            prefix = Math.min(prefix, in.length - contLen[i]);
        }
        prefix = Math.min(prefix, Batches.commonPrefix(inputs));
        if (prefix < SharedPrefix.MIN) prefix = 0;
        KvCache cache = null;
        if (prefix > 0) {
            cache = model.newCache(1, prefix);
            model.forward(Forward.of(Arrays.copyOf(inputs.get(0), prefix)).cache(cache).hooks(fresh(hooks)).logits(Transformer.Logits.NONE));
        }
        Batches.Batch b = Batches.suffixes(inputs, prefix, k).batches().getFirst();
        int T = b.slots();
        Forward f = Forward.of(b).hooks(fresh(hooks));
        if (cache != null) f = f.cache(KvCache.sharedPrefix(cache, k, prefix + T));
        float[] logits = model.forward(f);   // [k × T × vocab]
        double[] ll = new double[k];
        for (int j = 0; j < k; j++) {
            int i = b.indices()[j];
            Request r = requests.get(i);
            int first = inputs.get(i).length - contLen[i];   // the slot that predicts the continuation's first token
            for (int m = 0; m < contLen[i]; m++) {
                int slot = first + m - prefix;
                ll[i] += LogSoftmax.logProb(logits, (j * T + slot) * V, V, r.continuation[m]);
            }
        }
        return ll;
    }

    private static Hooks fresh(Supplier<Hooks> hooks) {
        return hooks == null ? Hooks.NONE : hooks.get();
    }

    /** {@code np.argmax}: the index of the largest value, the first on ties. */
    public static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** acc's prediction: the choice of largest log-likelihood. */
    public static int prediction(double[] ll) {
        return argmax(ll);
    }

    /** acc_norm's prediction: the choice of largest log-likelihood per character of the choice. */
    public static int normalizedPrediction(double[] ll, List<String> choices) {
        double[] perChar = new double[ll.length];
        for (int i = 0; i < ll.length; i++) perChar[i] = ll[i] / choices.get(i).codePointCount(0, choices.get(i).length());   // Python's len()
        return argmax(perChar);
    }

    /**
     * Scores every question of {@code task} under {@code hooks} (null: none) with the model's
     * whole context; {@code progress} counts questions.
     */
    public static Scores evaluate(ChoiceTask task, Transformer model, Tokenizer tok, Supplier<Hooks> hooks, ProgressListener progress) {
        return evaluate(task, model, tok, hooks, model.config.maxPositions, progress);
    }

    /** As {@link #evaluate(ChoiceTask, Transformer, Tokenizer, Supplier, ProgressListener)}, with lm-eval's {@code max_length}. */
    public static Scores evaluate(ChoiceTask task, Transformer model, Tokenizer tok, Supplier<Hooks> hooks, int maxLength, ProgressListener progress) {
        if (maxLength < 1 || maxLength > model.config.maxPositions) {
            throw new IllegalArgumentException("max length " + maxLength + " is outside the model's context [1, " + model.config.maxPositions + "]");
        }
        int n = task.questions().size(), truncated = 0;
        double[] acc = new double[n], accNorm = new double[n];
        for (int q = 0; q < n; q++) {
            ChoiceTask.Question question = task.questions().get(q);
            List<Request> reqs = new ArrayList<>();
            for (int c = 0; c < question.choices().size(); c++) {
                Request r;
                try {
                    r = encode(tok, question.question(), TARGET_DELIMITER + question.choices().get(c));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(question.where() + ": " + e.getMessage(), e);
                }
                if (r.context.length > maxLength) {
                    throw new IllegalArgumentException(question.where() + ": the question is " + r.context.length + " tokens, longer than the context of " + maxLength);
                }
                if (r.continuation.length == 0) throw new IllegalArgumentException(question.where() + ": choice " + c + " gives no token after the question");
                if (r.continuation.length > maxLength) {
                    throw new IllegalArgumentException(question.where() + ": choice " + c + " is " + r.continuation.length + " tokens, longer than the context of " + maxLength);
                }
                reqs.add(r);
            }
            boolean[] cut = new boolean[1];
            double[] ll = logLikelihoods(model, reqs, hooks, maxLength, cut);
            if (cut[0]) truncated++;
            acc[q] = prediction(ll) == question.gold() ? 1 : 0;
            accNorm[q] = normalizedPrediction(ll, question.choices()) == question.gold() ? 1 : 0;
            progress.done(q + 1);
        }
        return new Scores(task.name(), n, (int) sum(acc), (int) sum(accNorm), sum(acc) / n, meanStderr(acc), sum(accNorm) / n, meanStderr(accNorm), truncated);
    }

    /** lm-eval's {@code mean_stderr}: the sample standard deviation (n − 1) over √n; NaN below two values. */
    public static double meanStderr(double[] x) {
        int n = x.length;
        if (n < 2) return Double.NaN;
        double mean = sum(x) / n, ss = 0;
        for (double v : x) ss += (v - mean) * (v - mean);
        return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
    }

    private static double sum(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s;
    }
}
