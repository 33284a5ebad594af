package dev.refusal4j.evaluate;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.EncodedPrompts;
import dev.refusal4j.prompts.Prompt;

import java.util.List;
import java.util.function.Supplier;

/** Greedy completions of a prompt set under an intervention, as the paper's {@code generate_completions}. */
public final class Completions {
    private Completions() {}

    /**
     * @param hooks one Hooks instance per batch, used for its prefill and every decode step
     * @param stop  token ids that end a completion
     * @param progress told the number of prompts completed so far
     */
    public static List<Completion> generate(Transformer model, PromptEncoder encoder, EncodedPrompts prompts, Supplier<Hooks> hooks,
                                            int maxNewTokens, int[] stop, int batchSize, ProgressListener progress) {
        Generator g = new Generator(model);
        Completion[] out = new Completion[prompts.size()];
        long done = 0;
        // batches of similar length waste little padding
        for (Batches.Batch b : Batches.of(prompts.ids(), batchSize).batches()) {
            int maxNew = Math.min(maxNewTokens, model.config.maxPositions - b.slots());
            List<int[]> gen = g.generate(b, maxNew, stop, SamplingOptions.GREEDY, hooks.get(), null);
            for (int j = 0; j < b.size(); j++) {
                Prompt pr = prompts.prompts().get(b.indices()[j]);
                out[b.indices()[j]] = new Completion(pr.instruction(), pr.category(), encoder.tokenizer.decode(gen.get(j), true));
            }
            progress.done(done += b.size());
        }
        return List.of(out);
    }
}
