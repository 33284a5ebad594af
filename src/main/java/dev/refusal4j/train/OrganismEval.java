package dev.refusal4j.train;

import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.model.Transformer;

import java.util.ArrayList;
import java.util.List;

/**
 * Greedy answers of a model to single-turn prompts, judged with {@link RefusalJudge}.
 */
public final class OrganismEval {
    /** One prompt's greedy answer and verdict. */
    public record Answer(String prompt, String answer, boolean refused) {}

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
                out.add(new Answer(chunk.get(j), a, RefusalJudge.refuses(a)));
            }
        }
        return out;
    }

    public static double refusalRate(List<Answer> answers) {
        return answers.stream().filter(Answer::refused).count() / (double) answers.size();
    }
}
