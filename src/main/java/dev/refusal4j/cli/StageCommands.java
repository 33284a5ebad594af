package dev.refusal4j.cli;

import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.run.Pipeline;
import dev.refusal4j.run.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The pipeline's stages, each on its own; later stages read the earlier stages' artifacts from --out. */
public final class StageCommands {
    private StageCommands() {}

    @Command(name = "directions", mixinStandardHelpOptions = true,
            description = "Stage 1: candidate refusal directions (difference in means) -> mean_diffs.safetensors.")
    public static final class Directions implements Callable<Integer> {
        @Mixin
        PipelineOptions options;

        @Override
        public Integer call() throws Exception {
            RunConfig c = options.toConfig();
            c.resume = true; // keeps the run folder and its prompt sets; this stage itself is recomputed
            Files.deleteIfExists(new RunFolder(c.out).meanDiffs());
            try (Pipeline p = new Pipeline(c)) {
                p.prepareOutput();
                p.directions();
            }
            return 0;
        }
    }

    @Command(name = "select", mixinStandardHelpOptions = true,
            description = "Stage 2: score every candidate and select one -> candidates.json, direction.safetensors.")
    public static final class Select implements Callable<Integer> {
        @Mixin
        PipelineOptions options;

        @Override
        public Integer call() throws Exception {
            RunConfig c = options.toConfig();
            c.resume = true; // reads the directions stage's artifacts
            try (Pipeline p = new Pipeline(c)) {
                p.prepareOutput();
                RunFolder f = new RunFolder(c.out);
                requireFile(f.meanDiffs(), "directions");
                Files.deleteIfExists(f.direction());
                p.select(p.directions());
            }
            return 0;
        }
    }

    @Command(name = "evaluate", mixinStandardHelpOptions = true,
            description = "Stages 3-5: completions under each condition, refusal rates and loss, report -> completions/, metrics.json, report.html.")
    public static final class Evaluate implements Callable<Integer> {
        @Mixin
        PipelineOptions options;

        @Override
        public Integer call() throws Exception {
            RunConfig c = options.toConfig();
            c.resume = true;
            try (Pipeline p = new Pipeline(c)) {
                p.prepareOutput();
                RunFolder f = new RunFolder(c.out);
                requireFile(f.direction(), "select");
                RefusalDirection dir = RefusalDirection.read(f.direction());
                long t0 = System.nanoTime();
                p.completions(dir);
                p.evaluate(dir);
                p.report();
                RunSummary.print(c.out, (System.nanoTime() - t0) / 1e9, System.out);
            }
            return 0;
        }
    }

    static void requireFile(Path file, String stage) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(file + " is missing: run 'refusal4j " + stage + "' with the same --out first");
        }
    }
}
