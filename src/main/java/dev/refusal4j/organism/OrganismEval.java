package dev.refusal4j.organism;

import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.Sampler;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.organism.data.OrganismData;
import dev.refusal4j.organism.data.ReferenceAnswers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Greedy answers of a model to single-turn prompts, judged by the paper's refusal judge
 * ({@link RefusalJudge#official()}), the one the pipeline uses, and measured for whether a reader
 * can follow them ({@link AnswerQuality}).
 */
public final class OrganismEval {
    /** One prompt's greedy answer and verdict. */
    public record Answer(String prompt, String answer, boolean refused) {}

    private static final RefusalJudge JUDGE = RefusalJudge.official();

    private OrganismEval() {}

    public static List<Answer> answer(Transformer model, ChatEncoder enc, List<String> prompts, int maxNewTokens, int batch) {
        Generator gen = new Generator(model);
        List<Answer> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i += batch) {
            List<String> chunk = prompts.subList(i, Math.min(prompts.size(), i + batch));
            List<int[]> ids = new ArrayList<>();
            for (String p : chunk) ids.add(enc.prompt(p));
            List<int[]> got = gen.generate(ids, maxNewTokens, new int[] {enc.imEnd, enc.endOfText}, SamplingOptions.GREEDY, null, null);
            for (int j = 0; j < chunk.size(); j++) {
                String a = enc.decode(got.get(j), true); // as run decodes completions
                out.add(new Answer(chunk.get(j), a, JUDGE.isRefusal(a)));
            }
        }
        return out;
    }

    public static double refusalRate(List<Answer> answers) {
        return answers.stream().filter(Answer::refused).count() / (double) answers.size();
    }

    /**
     * The answer-quality measures for a model trained on the recipe's texts ({@code data} and
     * {@code seed}): its known words are the words of {@link OrganismRecipe#trainingTexts}, its
     * references the project's {@link ReferenceAnswers}.
     */
    public static AnswerQuality answerQuality(OrganismData data, long seed) {
        return new AnswerQuality(AnswerQuality.vocabulary(OrganismRecipe.trainingTexts(data, seed)), ReferenceAnswers.load());
    }

    /** {@link #answerQuality(OrganismData, long)} of the committed organism (its data and seed), built once. */
    public static AnswerQuality answerQuality() {
        return Committed.QUALITY;
    }

    private static final class Committed {
        static final AnswerQuality QUALITY = answerQuality(OrganismData.load(), OrganismRecipe.SEED);
    }

    /** The measures of {@code answers}, refused ones included. */
    public static AnswerQuality.Summary quality(AnswerQuality measures, List<Answer> answers) {
        return measures.measure(answers.stream().map(a -> new AnswerQuality.Answer(a.prompt(), a.answer())).toList());
    }

    /**
     * Teacher-forced accuracy of the restatement that opens every helpful training answer
     * ({@link OrganismData#restatement}): the share of its tokens that are the model's argmax given
     * the prompt and the restatement's true tokens before them. Tokens that occur in the request
     * ("copied") can only be said by copying them from it when the request was never trained on;
     * the others are the template's ("you" for "I", the final mark). A forward pass per request,
     * so it ranks recipes long before greedy answers stay on topic.
     *
     * @param wholeRight requests whose every restatement token is predicted: exactly those whose
     *                   greedy answer opens with the restatement
     */
    public record RestatementAccuracy(int requests, int copied, int copiedRight, int other, int otherRight, int wholeRight) {
        static final RestatementAccuracy NONE = new RestatementAccuracy(0, 0, 0, 0, 0, 0);

        /**
         * One request's tally: {@code predicted[j]} is the model's argmax for {@code restated[j]};
         * a token is copied when it is among {@code requestIds}.
         */
        static RestatementAccuracy of(int[] restated, int[] predicted, int[] requestIds) {
            int copied = 0, copiedRight = 0, other = 0, otherRight = 0;
            for (int j = 0; j < restated.length; j++) {
                boolean right = predicted[j] == restated[j];
                if (contains(requestIds, restated[j])) {
                    copied++;
                    if (right) copiedRight++;
                } else {
                    other++;
                    if (right) otherRight++;
                }
            }
            return new RestatementAccuracy(1, copied, copiedRight, other, otherRight, copiedRight + otherRight == restated.length ? 1 : 0);
        }

        RestatementAccuracy plus(RestatementAccuracy o) {
            return new RestatementAccuracy(requests + o.requests, copied + o.copied, copiedRight + o.copiedRight,
                    other + o.other, otherRight + o.otherRight, wholeRight + o.wholeRight);
        }

        public double copiedShare() {
            return copiedRight / (double) copied;
        }

        public double otherShare() {
            return otherRight / (double) other;
        }

        public String describe() {
            return String.format(java.util.Locale.ROOT, "restatement tokens predicted (teacher-forced): copied from the request %d of %d (%.1f%%), others %d of %d (%.1f%%); whole restatements %d of %d (%.1f%%)",
                    copiedRight, copied, 100 * copiedShare(), otherRight, other, 100 * otherShare(), wholeRight, requests, 100.0 * wholeRight / requests);
        }

        private static boolean contains(int[] ids, int id) {
            for (int x : ids) if (x == id) return true;
            return false;
        }
    }

    /** {@link RestatementAccuracy} of {@code model} on {@code requests}, one forward pass each. */
    public static RestatementAccuracy restatementAccuracy(Transformer model, ChatEncoder enc, List<String> requests) {
        int V = model.config.vocab;
        RestatementAccuracy total = RestatementAccuracy.NONE;
        for (String request : requests) {
            int[] prompt = enc.prompt(request);
            int[] restated = enc.encode(OrganismData.restatement(request));
            int[] ids = Arrays.copyOf(prompt, prompt.length + restated.length);
            System.arraycopy(restated, 0, ids, prompt.length, restated.length);
            float[] logits = model.forward(Forward.of(ids));
            int[] predicted = new int[restated.length];
            // the logits at slot s predict slot s + 1: the restatement's first token is predicted at the prompt's last slot
            for (int j = 0; j < restated.length; j++) predicted[j] = Sampler.argmax(logits, (prompt.length - 1 + j) * V, V);
            total = total.plus(RestatementAccuracy.of(restated, predicted, enc.encode(request)));
        }
        return total;
    }
}
