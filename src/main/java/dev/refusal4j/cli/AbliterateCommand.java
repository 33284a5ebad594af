package dev.refusal4j.cli;

import dev.refusal4j.Progress;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.export.GgufAbliterator;
import dev.refusal4j.export.Orthogonalizer;
import dev.refusal4j.io.ModelPath;
import dev.refusal4j.tensor.quant.GgmlType;
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
                        + "The input folder is only read. The output is written to a hidden sibling folder and renamed into place when complete and verified.",
                "Other files of the model folder are copied; nothing outside it is read: a symlink to a file in the folder (or, in a Hugging Face "
                        + "cache snapshot, to the repository's blobs) is copied as a file, and any other link (to a folder, outside the folder, "
                        + "dangling, a loop) is an error before anything is written.",
                "The output's README.md is a new model card (what was done, the direction, the rates of the run's metrics.json "
                        + "when it lies beside the direction file); the source's README.md is kept as README.source.md.",
                "A GGUF model (--model FILE.gguf, any part of a split one) is written as one GGUF file (--out FILE.gguf): each edited tensor "
                        + "dequantized, orthogonalized in float64 and quantized back to its own type (or --outtype) with ggml's reference quantizers; "
                        + "every other tensor and all metadata copied, refusal4j.* provenance keys added; a tied model gets the original "
                        + "token_embd as output.weight (not Gemma/Gemma-2, whose llama.cpp graphs always unembed with token_embd)."})
public final class AbliterateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR|FILE", description = "Hugging Face model folder (config.json + safetensors; default: the bundled organism), or a GGUF model (.gguf).")
    Path model;

    @Option(names = "--direction", required = true, paramLabel = "FILE", description = "Refusal direction file (direction.safetensors).")
    Path direction;

    @Option(names = "--out", required = true, paramLabel = "DIR|FILE", description = "Output folder (a .gguf file for a GGUF model); must not be the input or lie inside it.")
    Path out;

    @Option(names = "--outtype", paramLabel = "TYPE", description = "GGUF only: store the edited tensors as this ggml type (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_K..q6_K); default: each its own.")
    String outType;

    @Option(names = "--force", description = "Replace an existing non-empty output folder.")
    boolean force;

    @Option(names = "--quiet", description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        RefusalDirection dir = RefusalDirection.read(direction);
        if (model != null && ModelPath.of(model).isGguf()) return gguf(dir);
        if (outType != null) throw new IllegalArgumentException("--outtype is for a GGUF model; " + model + " is a Hugging Face folder (its dtype is kept)");
        if (out.getFileName() != null && out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            throw new IllegalArgumentException("--out " + out + ": a Hugging Face model is written as a folder; to get a GGUF, run convert and abliterate the GGUF");
        }
        Orthogonalizer.Result r;
        if (quiet) {
            r = Orthogonalizer.export(model, dir, direction, out, force, ProgressListener.NONE);
        } else {
            try (Progress p = new Progress("abliterate", 100, "%", false)) {
                r = Orthogonalizer.export(model, dir, direction, out, force, Exporter.percent(p));
            }
        }
        r.warnings().forEach(System.err::println);
        System.out.printf("abliterated %s -> %s: %d tensors orthogonalized, %d copied, %.2f GB in %.2f s (%.0f MB/s), peak RSS %.0f MB%s%n",
                model, r.out(), r.modifiedTensors(), r.copiedTensors(), r.bytesWritten() / 1e9, r.seconds(),
                r.bytesWritten() / 1e6 / Math.max(r.seconds(), 1e-9), BenchCommand.peakRssBytes() / 1e6, r.untied() ? "; embeddings untied" : "");
        return 0;
    }

    private Integer gguf(RefusalDirection dir) throws Exception {
        GgmlType type = null;
        if (outType != null) {
            type = GgmlType.byName(outType);
            if (type == null || !type.quantizable()) throw new IllegalArgumentException("--outtype " + outType + " is not a type refusal4j writes (" + GgmlType.dequantizableNames() + ")");
        }
        GgufAbliterator.Result r = GgufAbliterator.export(model, dir, out, type, force);
        r.warnings().forEach(System.err::println);
        System.out.printf("abliterated %s -> %s: %d tensors orthogonalized%s, %d copied, %.2f GB in %.2f s, peak RSS %.0f MB%s%n",
                model, r.out(), r.modifiedTensors(), type == null ? " (each requantized to its own type)" : " (as " + type.ggmlName + ")", r.copiedTensors(),
                r.bytesWritten() / 1e9, r.seconds(), BenchCommand.peakRssBytes() / 1e6, r.untied() ? "; output.weight added (the original token_embd)" : "");
        return 0;
    }
}
