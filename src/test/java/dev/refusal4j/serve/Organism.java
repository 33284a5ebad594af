package dev.refusal4j.serve;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.generate.TextGenerator;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.prompts.RunPrompts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The bundled organism for the server's client tests: the model, a refusal direction made as the
 * run makes its candidates (difference of mean resid_pre at the last post-instruction position,
 * layer 3, on the first 32 harmful and harmless training prompts: the cell the run selects), and
 * the answers {@link TextGenerator} gives one prompt at a time, which the server's must equal.
 */
final class Organism implements AutoCloseable {
    static final Path DIR = Path.of("models/organism");
    static final int LAYER = 3;

    final Transformer model;
    final PromptEncoder encoder;
    final RefusalDirection direction;
    private final TextGenerator generator;

    Organism() throws IOException {
        model = Transformer.load(DIR);
        encoder = PromptEncoder.load(DIR, null, null);
        generator = new TextGenerator(model, encoder, GenerationConfig.stopIds(DIR, model.config, encoder.tokenizer));
        float[][][] r = MeanActivations.difference(residPre(split("harmful_train")), residPre(split("harmless_train")));
        direction = new RefusalDirection(r[0][LAYER], LAYER, -1, Map.of());
    }

    /** The instructions of one of the organism's prompt splits, e.g. "harmful_test". */
    static List<String> split(String name) {
        return PromptLoader.load(RunPrompts.split(DIR, name)).stream().map(Prompt::instruction).toList();
    }

    private double[][][] residPre(List<String> instructions) {
        return MeanActivations.residPre(model, instructions.subList(0, 32).stream().map(encoder::encode).toList(), 1, 16, null);
    }

    /** The greedy answer to one user message, with r̂ ablated at every layer or not. */
    String answer(String prompt, int maxTokens, boolean ablate) {
        Supplier<Hooks> hooks = ablate ? () -> Interventions.ablate(new Hooks(), direction.unit()) : null;
        return generator.generate(List.of(List.of(Map.<String, Object>of("role", "user", "content", prompt))), maxTokens, SamplingOptions.GREEDY, List.of(), hooks, null)
                .getFirst().text();
    }

    @Override
    public void close() {
        model.close();
    }
}
