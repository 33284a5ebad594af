package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Hooks;
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

    SamplingOptions sampling() {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, seed);
    }

    /** Hooks for the chosen intervention, fresh per generation, or null. */
    Supplier<Hooks> hooks() throws IOException {
        if (!ablate && add == null) return null;
        if (direction == null) throw new IllegalArgumentException("--ablate and --add need --direction FILE");
        RefusalDirection d = RefusalDirection.read(direction);
        float[] unit = d.unit();
        return () -> {
            Hooks h = new Hooks();
            if (ablate) Interventions.ablate(h, unit);
            if (add != null) Interventions.add(h, d.vector(), add, d.layer());
            return h;
        };
    }
}
