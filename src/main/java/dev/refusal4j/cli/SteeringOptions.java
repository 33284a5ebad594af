package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.ModelConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;

/** Sampling and steering options of {@code generate} and {@code chat}. */
public final class SteeringOptions {
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default ${DEFAULT-VALUE}).")
    float temperature;
    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0 = off).")
    int topK;
    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling mass (1 = off).")
    float topP;
    @Option(names = "--min-p", defaultValue = "0", description = "Drop tokens below min-p × the top probability (0 = off).")
    float minP;
    @Option(names = "--repetition-penalty", defaultValue = "1", description = "Penalty on tokens already in the context (1 = off).")
    float repetitionPenalty;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampling.")
    long seed;

    @Option(names = "--direction", paramLabel = "FILE", description = "A refusal direction (direction.safetensors) for --ablate or --add.")
    Path direction;
    @Option(names = "--ablate", description = "Ablate the direction at every layer and position (refusal off).")
    boolean ablate;
    @Option(names = "--add", paramLabel = "COEFF", description = "Add COEFF × r at the direction's layer (e.g. 1 to induce refusal, -1 to suppress it).")
    Float add;

    private ModelConfig model; // set by check()

    /**
     * Checks the options against the model before any work: sampling values in range, and a
     * direction that belongs to the model. Commands call it once, so that a bad option is an error
     * and an exit code, not a message per generation.
     */
    void check(ModelConfig model) throws IOException {
        this.model = model;
        sampling();
        hooks();
    }

    SamplingOptions sampling() {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, seed);
    }

    /**
     * Hooks for the chosen intervention, fresh per generation, or null. The direction must belong to
     * the model given to {@link #check} (its width and layer).
     */
    Supplier<Hooks> hooks() throws IOException {
        if (!ablate && add == null) {
            if (direction != null) throw new IllegalArgumentException("--direction " + direction + " is given without --ablate or --add; say what to do with it");
            return null;
        }
        if (direction == null) throw new IllegalArgumentException("--ablate and --add need --direction FILE");
        if (add != null && !Float.isFinite(add)) throw new IllegalArgumentException("--add " + add + " is not a finite number");
        RefusalDirection d = RefusalDirection.read(direction);
        if (model == null) throw new IllegalStateException("SteeringOptions.check(model) was not called");
        d.requireFits(direction, model);
        float[] unit = d.unit();
        return () -> {
            Hooks h = new Hooks();
            if (ablate) Interventions.ablate(h, unit);
            if (add != null) Interventions.add(h, d.vector(), add, d.layer());
            return h;
        };
    }
}
