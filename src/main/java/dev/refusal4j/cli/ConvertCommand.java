package dev.refusal4j.cli;

import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.io.ModelPath;
import dev.refusal4j.tensor.quant.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code refusal4j convert}: a Hugging Face folder as a llama.cpp GGUF file. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {
                "Convert a Hugging Face model folder to a GGUF file as llama.cpp's convert_hf_to_gguf.py writes it: llama.cpp's tensor "
                        + "names and metadata keys, llama's q/k rows permuted, Gemma's norms stored as 1 + w, llama3 rope scaling as "
                        + "rope_freqs.weight, a byte-level BPE tokenizer.json (GPT-2, Llama-3 or Qwen-2 pre-tokenization) as a gpt2 "
                        + "vocabulary with its merges, or a SentencePiece tokenizer.model as a llama vocabulary, with the special tokens "
                        + "and chat template.",
                "Architectures: LlamaForCausalLM, MistralForCausalLM (as llama), Qwen2ForCausalLM, Qwen3ForCausalLM, GemmaForCausalLM, "
                        + "Gemma2ForCausalLM, Phi3ForCausalLM, QWenLMHeadModel. Vectors are f32; matrices --outtype, quantized with "
                        + "ggml's reference quantizers (a matrix whose rows are not whole blocks of the type is f16).",
                "The file is written beside its target and moved into place when complete; the input folder is only read."})
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder (config.json + safetensors).")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The .gguf file to write.")
    Path out;

    @Option(names = "--outtype", paramLabel = "TYPE", defaultValue = "f16",
            description = "Type of the matrices: f32, f16, bf16, q8_0 (llama.cpp's choices), or any type refusal4j quantizes "
                    + "(q4_0, q4_1, q5_0, q5_1, q2_K..q6_K: llama-quantize --pure without an importance matrix); default: ${DEFAULT-VALUE}.")
    String outType;

    @Option(names = "--split", paramLabel = "N", defaultValue = "1", description = "Write N parts as gguf-split does (NAME-00001-of-0000N.gguf ...).")
    int split;

    @Option(names = "--force", description = "Replace an existing output file.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        GgmlType type = GgmlType.byName(outType);
        if (type == null || !type.quantizable()) {
            throw new IllegalArgumentException("--outtype " + outType + " is not a type refusal4j writes (" + GgmlType.dequantizableNames() + ")");
        }
        if (!out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf")) throw new IllegalArgumentException("--out " + out + ": the file name must end in .gguf");
        if (ModelPath.of(model).isGguf()) throw new IllegalArgumentException("--model " + model + " is already a GGUF model; convert reads a Hugging Face folder");
        if (!Files.isDirectory(model)) throw new IllegalArgumentException("--model " + model + ": no such folder");
        if (Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a folder; give the .gguf file to write");
        if (Files.exists(out) && !force) throw new IllegalArgumentException("--out " + out + " exists; give --force to replace it");
        long t0 = System.nanoTime();
        GgufConverter c = GgufConverter.of(model).type(type).split(split);
        Path first = c.write(out);
        c.notes().forEach(System.err::println);
        System.out.printf("converted %s -> %s (%s, %s%s) in %.2f s%n", model, first, c.architecture(), type.ggmlName,
                split > 1 ? ", " + split + " parts" : "", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
