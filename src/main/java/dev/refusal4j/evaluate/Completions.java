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
import java.util.function.IntPredicate;
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
        return decode(encoder, prompts, generateIds(model, prompts.ids(), hooks, maxNewTokens, stop, batchSize, b -> true, progress));
    }

    /** How many batches {@link #generateIds} cuts these prompts into. */
    public static int batches(List<int[]> prompts, int batchSize) {
        return Batches.of(prompts, batchSize).batches().size();
    }

    /**
     * The generated token ids of each prompt in the batches {@code mine} accepts (null for the
     * others' prompts). The batches are the same for any {@code mine}, so that workers each given
     * some of them generate what one process generates.
     *
     * @param progress told the number of prompts completed so far
     */
    public static int[][] generateIds(Transformer model, List<int[]> prompts, Supplier<Hooks> hooks, int maxNewTokens, int[] stop,
                                      int batchSize, IntPredicate mine, ProgressListener progress) {
        Generator g = new Generator(model);
        int[][] out = new int[prompts.size()][];
        long done = 0;
        // batches of similar length waste little padding
        List<Batches.Batch> all = Batches.of(prompts, batchSize).batches();
        for (int bi = 0; bi < all.size(); bi++) {
            if (!mine.test(bi)) continue;
            Batches.Batch b = all.get(bi);
            int maxNew = Math.min(maxNewTokens, model.config.maxPositions - b.slots());
            List<int[]> gen = g.generate(b, maxNew, stop, SamplingOptions.GREEDY, hooks.get(), null);
            for (int j = 0; j < b.size(); j++) out[b.indices()[j]] = gen.get(j);
            progress.done(done += b.size());
        }
        return out;
    }

    /** The completions of the prompts from their generated token ids. */
    public static List<Completion> decode(PromptEncoder encoder, EncodedPrompts prompts, int[][] generated) {
        Completion[] out = new Completion[prompts.size()];
        for (int i = 0; i < out.length; i++) {
            Prompt pr = prompts.prompts().get(i);
            out[i] = new Completion(pr.instruction(), pr.category(), encoder.tokenizer.decode(generated[i], true));
        }
        return List.of(out);
    }
}
