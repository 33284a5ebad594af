package dev.refusal4j.cli;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.export.Orthogonalizer;
import dev.refusal4j.export.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code refusal4j abliterate}: bakes the ablation of a refusal direction into a copy of a model. */
@Command(name = "abliterate", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {
                "Orthogonalize a model's weights against a refusal direction and save the result as a new Hugging Face model folder.",
                "W <- W - r r^T W for the token embeddings and for every matrix that writes to the residual stream "
                        + "(attention and MLP output projections of every layer, and their biases). The saved model behaves "
                        + "as if the direction were ablated at run time. Gemma-2's post-norms: the projections are "
                        + "orthogonalized against normalize((1 + w) * r) so the normalized write stays orthogonal to r.",
                "Same dtype and shard layout as the input; tensors that are not modified are copied byte for byte; "
                        + "tied embeddings are untied (the original embedding becomes lm_head.weight, tie_word_embeddings false). "
                        + "The input folder is only read. The output is written to a hidden sibling folder and renamed into place when complete and verified."})
public final class AbliterateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Hugging Face model folder (config.json + safetensors; default: the bundled organism).")
    Path model;

    @Option(names = "--direction", required = true, paramLabel = "FILE", description = "Refusal direction file (direction.safetensors).")
    Path direction;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder; must not be the input or lie inside it.")
    Path out;

    @Option(names = "--force", description = "Replace an existing non-empty output folder.")
    boolean force;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        RefusalDirection dir = RefusalDirection.read(direction);
        Orthogonalizer.Result r = Orthogonalizer.export(model, dir, out, force, quiet ? ProgressListener.NONE : new Printer());
        System.out.printf("abliterated %s -> %s: %d tensors orthogonalized, %d copied, %.2f GB in %.2f s (%.0f MB/s), peak RSS %.0f MB%s%n",
                model, r.out(), r.modifiedTensors(), r.copiedTensors(), r.bytesWritten() / 1e9, r.seconds(),
                r.bytesWritten() / 1e6 / Math.max(r.seconds(), 1e-9), BenchCommand.peakRssBytes() / 1e6, r.untied() ? "; embeddings untied" : "");
        return 0;
    }

    /** Percent and throughput on stderr, at most twice a second. */
    static final class Printer implements ProgressListener {
        private final long start = System.nanoTime();
        private long last;

        @Override
        public void bytes(String tensor, long done, long total) {
            long now = System.nanoTime();
            if (now - last < 500_000_000L && done < total) return;
            last = now;
            double s = (now - start) / 1e9;
            System.err.printf("\r%5.1f%%  %8.0f MB  %6.0f MB/s  %-60s", 100.0 * done / Math.max(total, 1), done / 1e6, done / 1e6 / Math.max(s, 1e-9), tensor);
            if (done >= total) System.err.println();
        }

        @Override
        public void note(String message) {
            System.err.println(message);
        }
    }
}
