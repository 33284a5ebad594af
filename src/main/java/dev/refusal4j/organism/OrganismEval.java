package dev.refusal4j.organism;

import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.organism.data.OrganismData;
import dev.refusal4j.organism.data.ReferenceAnswers;

import java.util.ArrayList;
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
                String a = enc.decode(got.get(j));
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
}
