package dev.refusal4j.generate;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.StreamingDecoder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Conversations in, text out: renders with the chat template, generates in left-padded batches,
 * stops on the end ids and on stop strings, and streams decoded text that never splits a UTF-8
 * character.
 */
public final class TextGenerator {
    private final Transformer model;
    private final PromptEncoder encoder;
    private final int[] stopIds;

    public TextGenerator(Transformer model, PromptEncoder encoder, int[] stopIds) {
        this.model = model;
        this.encoder = encoder;
        this.stopIds = stopIds;
    }

    /** Result of one conversation: the text (cut before a stop string) and how many tokens were generated. */
    public record Output(String text, int tokens) {}

    /**
     * @param stream receives (conversation index, new text) as it is decoded; may be null
     */
    public List<Output> generate(List<List<Map<String, Object>>> conversations, int maxNewTokens, SamplingOptions sampling,
                                 List<String> stopStrings, Supplier<Hooks> hooks, BiConsumer<Integer, String> stream) {
        SamplingOptions.requireMaxNewTokens(maxNewTokens);
        List<int[]> prompts = new ArrayList<>();
        for (var conv : conversations) {
            int[] ids = encoder.tokenizer.encodeRendered(encoder.template.render(conv, true, null, null));
            if (ids.length >= model.config.maxPositions) {
                throw new IllegalArgumentException("prompt " + (prompts.size() + 1) + " has " + ids.length + " tokens, more than the model's context of " + model.config.maxPositions);
            }
            prompts.add(ids);
        }
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
        int maxNew = Math.min(maxNewTokens, model.config.maxPositions - longest);
        int n = prompts.size();
        StreamingDecoder[] dec = new StreamingDecoder[n];
        StringBuilder[] text = new StringBuilder[n];
        int[] emitted = new int[n];
        boolean[] cut = new boolean[n];
        for (int i = 0; i < n; i++) {
            dec[i] = new StreamingDecoder(encoder.tokenizer, true);
            text[i] = new StringBuilder();
        }
        List<int[]> ids = new Generator(model).generate(prompts, maxNew, stopIds, sampling, hooks == null ? null : hooks.get(), (b, id) -> {
            text[b].append(dec[b].next(id));
            int stopAt = StopStrings.first(text[b], stopStrings);
            if (stopAt >= 0) {
                text[b].setLength(stopAt);
                cut[b] = true;
            }
            // hold back text that could still become the start of a stop string
            int safe = cut[b] ? text[b].length() : text[b].length() - StopStrings.holdBack(text[b], stopStrings);
            if (stream != null && safe > emitted[b]) {
                stream.accept(b, text[b].substring(emitted[b], safe));
                emitted[b] = safe;
            }
            return !cut[b];
        });
        List<Output> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!cut[i]) text[i].append(dec[i].flush());
            if (stream != null && text[i].length() > emitted[i]) stream.accept(i, text[i].substring(emitted[i]));
            out.add(new Output(text[i].toString(), ids.get(i).length));
        }
        return out;
    }

}
