package dev.refusal4j.cli;

import dev.refusal4j.Progress;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.export.Orthogonalizer;
import dev.refusal4j.run.RunConfig;

import java.io.IOException;
import java.nio.file.Path;

/** {@code run --export}: weight orthogonalization of the model with the run's direction. */
final class Exporter {
    private Exporter() {}

    static void exportIfAsked(RunConfig c, Path runDir) throws IOException {
        if (c.export == null) return;
        RefusalDirection dir = RefusalDirection.read(new dev.refusal4j.artifacts.RunFolder(runDir).direction());
        try (Progress p = new Progress("export", 100, "%", c.quiet)) {
            Orthogonalizer.Result r = Orthogonalizer.export(c.model, dir, new dev.refusal4j.artifacts.RunFolder(runDir).direction(), c.export, c.force, percent(p));
            r.warnings().forEach(System.err::println);
            System.err.printf("abliterated model written to %s (%d tensors orthogonalized, %d copied)%n", r.out(), r.modifiedTensors(), r.copiedTensors());
        }
    }

    /** An export's progress as percent on {@code p}: its size in bytes is known only once the export has planned it. */
    static ProgressListener percent(Progress p) {
        return new ProgressListener() {
            private long total;

            @Override
            public void total(long total) {
                this.total = total;
            }

            @Override
            public void done(long done) {
                p.stepTo(total == 0 ? 100 : done * 100 / total);
            }
        };
    }
}
