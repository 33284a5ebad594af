package dev.refusal4j.cli;

import dev.refusal4j.pipeline.RunConfig;

import java.nio.file.Path;

/** {@code run --export}: weight orthogonalization of the model with the run's direction. */
final class Exporter {
    private Exporter() {}

    static void exportIfAsked(RunConfig c, Path runDir) {
        if (c.export == null) return;
        throw new UnsupportedOperationException("--export is not available in this build yet");
    }
}
