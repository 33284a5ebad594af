package dev.refusal4j.export;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.ModelPath;
import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufModel;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.io.gguf.GgufTensorInfo;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.tensor.Parallel;
import dev.refusal4j.tensor.UnitVector;
import dev.refusal4j.tensor.quant.GgmlType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code abliterate} of a GGUF model (llama.cpp, Ollama): the weight orthogonalization of
 * {@link OrthogonalPlan} (the same tensors as the safetensors export: embedding, attention and MLP
 * output projections, their biases) on the stored tensors, written as one GGUF file that llama.cpp
 * loads as it loaded the input.
 * <ul>
 *   <li>Each edited tensor is dequantized row by row as ggml dequantizes it, edited in float64, and
 *       quantized back to its own type (or the type asked for) with ggml's reference quantizer, so
 *       the bytes are what {@code quantize_row_*_ref} makes of the edited floats. GGUF stores a
 *       Hugging Face [out, in] matrix as rows of its input length, the same rows in the same order
 *       (only llama's q/k rows are permuted, and they read from the stream, so are not edited):
 *       row i of attn_output/ffn_down is the weight of output i, row t of token_embd token t's
 *       embedding.</li>
 *   <li>Every other tensor is copied byte for byte, metadata is kept (gguf-split's split.* keys
 *       dropped: the output is one file) with provenance keys {@code refusal4j.*} added, the
 *       alignment is the input's.</li>
 *   <li>A model without output.weight (tied embeddings) gets the original token_embd as
 *       output.weight, so the unembedding is unchanged, as the safetensors export unties it —
 *       except Gemma and Gemma-2, whose llama.cpp graphs always unembed with token_embd and refuse
 *       an output.weight: there the unembedding loses r̂ too (each logit changes by
 *       −(r̂·h)(r̂·e_t)), and the result says so.</li>
 *   <li>Streaming: the input is read through positional reads, never mapped whole, one tensor's
 *       column sums and a chunk of rows at a time, so the memory used does not grow with the model;
 *       the output is written beside its target and moved into place when complete; the input is
 *       only read.</li>
 * </ul>
 */
public final class GgufAbliterator {
    private GgufAbliterator() {}

    /** Rows read, edited and written together (their bytes at most about this). */
    private static final int CHUNK_BYTES = 4 << 20;

    /** What an export did; {@code warnings} are for the user. */
    public record Result(Path out, int modifiedTensors, int copiedTensors, long bytesWritten, boolean untied, double seconds, List<String> warnings) {}

    private record Source(Path file, GgufTensorInfo info, long absoluteOffset) {}

    /**
     * @param in      a GGUF model (a .gguf file, any part of a split one)
     * @param outType the type the edited matrices are stored in; null: each its own type
     * @param force   replace an existing output file
     */
    public static Result export(Path in, RefusalDirection direction, Path out, GgmlType outType, boolean force) throws IOException {
        long t0 = System.nanoTime();
        ModelPath mp = ModelPath.of(in);
        if (!mp.isGguf()) throw new IllegalArgumentException(in + " is not a GGUF model; abliterate writes a GGUF file only from a GGUF model (convert a Hugging Face folder first)");
        checkOutput(mp, out, force);
        if (outType != null && !outType.quantizable()) {
            throw new IllegalArgumentException("--outtype " + outType.ggmlName + " cannot be written (supported: " + GgmlType.dequantizableNames() + ")");
        }
        ModelConfig cfg = ModelConfig.load(in);
        float[] r = direction.vector();
        if (r.length != cfg.hidden) {
            throw new IllegalArgumentException("the direction has " + r.length + " values but " + mp.ggufFile() + " has embedding_length " + cfg.hidden + " (direction from another model?)");
        }
        double[] unit = UnitVector.exact(r, "the refusal direction");

        List<GgufFile> headers = new ArrayList<>();
        for (Path p : mp.ggufParts()) headers.add(GgufReader.read(p));
        GgufFile first = headers.getFirst();
        Map<String, Source> byName = new LinkedHashMap<>();
        for (GgufFile h : headers) {
            for (GgufTensorInfo t : h.tensors()) byName.put(t.name(), new Source(h.path(), t, h.dataOffset() + t.offset()));
        }

        Map<String, OrthogonalPlan.Target> targets = new HashMap<>(); // by GGUF name
        String arch;
        try (GgufModel model = GgufModel.open(mp.ggufParts())) { // checks every tensor's name, place and the split set
            arch = model.architecture();
            OrthogonalPlan plan = new OrthogonalPlan(cfg, model, unit);
            for (var e : plan.targets.entrySet()) {
                GgufTensorInfo t = model.info(e.getKey());
                if (t == null) throw new ModelFormatException(mp.ggufFile(), "has no tensor for " + e.getKey());
                targets.put(t.name(), e.getValue());
            }
        }
        for (var e : targets.entrySet()) checkTarget(byName.get(e.getKey()), e.getValue(), outType);

        boolean tiedGemma = (arch.equals("gemma") || arch.equals("gemma2")) && !byName.containsKey("output.weight");
        boolean untie = !byName.containsKey("output.weight") && !tiedGemma;
        GgufWriter w = new GgufWriter();
        for (String k : first.metadata().keySet()) {
            if (k.startsWith("split.") || k.startsWith("refusal4j.")) continue; // one file; an earlier abliteration's provenance is replaced
            w.putValue(k, first.types().get(k), first.elementTypes().get(k), first.metadata().get(k));
        }
        for (var e : provenance(direction, targets.size(), outType, untie, tiedGemma).entrySet()) w.putString(e.getKey(), e.getValue());

        Map<Path, FileChannel> channels = new HashMap<>();
        try {
            for (GgufFile h : headers) channels.put(h.path(), FileChannel.open(h.path(), StandardOpenOption.READ));
            int modified = 0, copied = 0;
            long total = 0;
            for (Source s : byName.values()) {
                GgufTensorInfo t = s.info;
                FileChannel ch = channels.get(s.file);
                OrthogonalPlan.Target target = targets.get(t.name());
                if (target == null) {
                    w.addTensor(t.name(), t.type(), t.dims(), o -> copy(ch, s.absoluteOffset, t.bytes(), o));
                    copied++;
                    total += t.bytes();
                } else {
                    GgmlType type = outType != null ? outType : t.type();
                    w.addTensor(t.name(), type, t.dims(), o -> edit(s, ch, target, type, o));
                    modified++;
                    total += type.bytes(t.elements());
                }
                if (untie && t.name().equals("token_embd.weight")) { // the unembedding stays the original embedding
                    w.addTensor("output.weight", t.type(), t.dims(), o -> copy(ch, s.absoluteOffset, t.bytes(), o));
                    copied++;
                    total += t.bytes();
                }
            }
            w.write(out);
            List<String> warnings = new ArrayList<>();
            if (tiedGemma) {
                warnings.add("note: " + arch + " in llama.cpp unembeds with token_embd (it has no output.weight), so the unembedding is orthogonalized too: "
                        + "each logit changes by -(r.h)(r.e_token), where runtime ablation leaves the unembedding as it is");
            }
            if (headers.size() > 1) warnings.add("note: the " + headers.size() + " parts of the split input are written as one file (split.* keys dropped)");
            return new Result(out, modified, copied, total, untie, (System.nanoTime() - t0) / 1e9, List.copyOf(warnings));
        } finally {
            for (FileChannel ch : channels.values()) ch.close();
        }
    }

    /** The output must not be an input part, nor exist unless {@code force}. */
    private static void checkOutput(ModelPath mp, Path out, boolean force) throws IOException {
        if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            throw new IllegalArgumentException("--out " + out + ": a GGUF model is written as a .gguf file");
        }
        if (Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " is a folder; give the .gguf file to write");
        if (Files.exists(out)) {
            for (Path p : mp.ggufParts()) {
                if (Files.isSameFile(p, out)) throw new IllegalArgumentException("--out " + out + " is the input model; abliterate never overwrites its input");
            }
            if (!force) throw new IllegalArgumentException("--out " + out + " exists; give --force to replace it");
        }
    }

    private static void checkTarget(Source s, OrthogonalPlan.Target target, GgmlType outType) {
        GgufTensorInfo t = s.info;
        if (!t.type().dequantizable()) {
            throw new ModelFormatException(s.file, "tensor '" + t.name() + "' is " + t.type().ggmlName + ", which refusal4j cannot dequantize (it reads "
                    + GgmlType.dequantizableNames() + ")");
        }
        GgmlType type = outType != null ? outType : t.type();
        if (t.rowLength() % type.blockElements != 0) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' has rows of " + t.rowLength() + ", not whole " + type.ggmlName + " blocks of "
                    + type.blockElements + "; choose another --outtype");
        }
        long projected = target.kind() == OrthogonalPlan.Kind.OUTPUT ? t.rows() : t.rowLength();
        if (projected != target.unit().length || t.rowLength() > Integer.MAX_VALUE - 8 || t.rows() > Integer.MAX_VALUE) {
            throw new ModelFormatException(s.file, "tensor '" + t.name() + "' " + t.type().ggmlName + t.shape() + " does not match the direction's "
                    + target.unit().length + " dimensions");
        }
    }

    static Map<String, String> provenance(RefusalDirection dir, int modified, GgmlType outType, boolean untied, boolean tiedGemma) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("refusal4j.tool", "refusal4j " + dev.refusal4j.Version.VERSION);
        m.put("refusal4j.operation", "weight orthogonalization W <- W - r r^T W of the embedding and of every residual-stream write (attention/MLP output projections and biases)");
        m.put("refusal4j.direction.layer", Integer.toString(dir.layer()));
        m.put("refusal4j.direction.position", Integer.toString(dir.position()));
        m.put("refusal4j.direction.norm", Double.toString(dir.norm()));
        m.put("refusal4j.direction.sha256", ExportedMetadata.sha256(dir.vector()));
        m.put("refusal4j.modified_tensors", Integer.toString(modified));
        m.put("refusal4j.requantized", (outType == null ? "each edited tensor to its own type" : "edited tensors to " + outType.ggmlName)
                + " with ggml's reference quantizers (quantize_row_*_ref)");
        if (untied) m.put("refusal4j.untied", "output.weight is the original token_embd.weight");
        if (tiedGemma) m.put("refusal4j.tied_unembedding", "token_embd.weight is also the unembedding, so it is orthogonalized too");
        return m;
    }

    /** {@code bytes} bytes from {@code in} at {@code offset} to the output's position (copy_file_range, no user-space copy). */
    private static void copy(FileChannel in, long offset, long bytes, FileChannel out) throws IOException {
        for (long done = 0; done < bytes; ) {
            long n = in.transferTo(offset + done, bytes - done, out);
            if (n <= 0) throw new IOException("the input ended inside a tensor");
            done += n;
        }
    }

    private static void readFully(FileChannel in, ByteBuffer b, long offset) throws IOException {
        while (b.hasRemaining()) {
            int n = in.read(b, offset + b.position());
            if (n < 0) throw new IOException("the input ended inside a tensor");
        }
    }

    /**
     * The tensor orthogonalized, quantized to {@code type}, written at the output's position:
     * ROWS (the embedding) and VECTOR (a bias) lose each row's u component; OUTPUT (a projection
     * into the stream) loses u(uᵀW), uᵀW summed in float64 over all rows in a first pass.
     */
    private static void edit(Source s, FileChannel in, OrthogonalPlan.Target target, GgmlType type, FileChannel out) throws IOException {
        GgufTensorInfo t = s.info;
        int cols = (int) t.rowLength(), rows = (int) t.rows();
        long inRow = t.rowBytes();
        int outRow = (int) type.bytes(cols);
        int chunkRows = (int) Math.max(1, Math.min(rows, CHUNK_BYTES / Math.max(inRow, outRow)));
        double[] u = target.unit();
        boolean output = target.kind() == OrthogonalPlan.Kind.OUTPUT;
        double[] colSums = output ? columnSums(s, in, u, chunkRows) : null;
        if (colSums != null) {
            for (double v : colSums) if (!Double.isFinite(v)) throw notFinite(s);
        }
        byte[] src = new byte[(int) (chunkRows * inRow)];
        byte[] dst = new byte[chunkRows * outRow];
        for (int r0 = 0; r0 < rows; r0 += chunkRows) {
            int n = Math.min(chunkRows, rows - r0), first = r0;
            readFully(in, ByteBuffer.wrap(src, 0, (int) (n * inRow)), s.absoluteOffset + r0 * inRow);
            boolean[] finite = {true};
            Parallel.forRange(n, Math.max(1, (1 << 14) / cols), (a, b) -> {
                float[] row = new float[cols];
                double[] x = new double[cols];
                for (int i = a; i < b; i++) {
                    t.type().dequantizeRow(src, (int) (i * inRow), row, 0, cols);
                    for (int j = 0; j < cols; j++) x[j] = row[j];
                    if (output) {
                        double ui = u[first + i];
                        for (int j = 0; j < cols; j++) x[j] -= ui * colSums[j];
                    } else {
                        WeightRows.projectOut(x, u, cols);
                    }
                    for (int j = 0; j < cols; j++) {
                        row[j] = (float) x[j];
                        if (!Float.isFinite(row[j])) finite[0] = false;
                    }
                    type.quantizeRow(row, 0, dst, i * outRow, cols);
                }
            });
            if (!finite[0]) throw notFinite(s);
            ByteBuffer b = ByteBuffer.wrap(dst, 0, n * outRow);
            while (b.hasRemaining()) out.write(b);
        }
    }

    /** uᵀW in float64, summed in row order (threads split the columns, so the sums do not depend on the thread count). */
    private static double[] columnSums(Source s, FileChannel in, double[] u, int chunkRows) throws IOException {
        GgufTensorInfo t = s.info;
        int cols = (int) t.rowLength(), rows = (int) t.rows();
        long inRow = t.rowBytes();
        byte[] src = new byte[(int) (chunkRows * inRow)];
        float[] chunk = new float[chunkRows * cols];
        double[] sums = new double[cols];
        for (int r0 = 0; r0 < rows; r0 += chunkRows) {
            int n = Math.min(chunkRows, rows - r0), first = r0;
            readFully(in, ByteBuffer.wrap(src, 0, (int) (n * inRow)), s.absoluteOffset + r0 * inRow);
            Parallel.forRange(n, 1, (a, b) -> {
                for (int i = a; i < b; i++) t.type().dequantizeRow(src, (int) (i * inRow), chunk, i * cols, cols);
            });
            Parallel.forRange(cols, 256, (c0, c1) -> {
                for (int i = 0; i < n; i++) {
                    double ui = u[first + i];
                    for (int j = c0; j < c1; j++) sums[j] += ui * chunk[i * cols + j];
                }
            });
        }
        return sums;
    }

    private static ModelFormatException notFinite(Source s) {
        return new ModelFormatException(s.file, "tensor '" + s.info.name() + "' holds a NaN or Inf (or a value too large to project); abliterate does not edit "
                + "a matrix with NaN or Inf values");
    }
}
