package dev.refusal4j.io.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TensorSource;
import dev.refusal4j.io.WeightValidator;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.Parallel;
import dev.refusal4j.tensor.quant.GgmlType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A GGUF model (one file, or the parts of a split one) seen as the Hugging Face checkpoint
 * convert_hf_to_gguf.py made it from: {@link #config()} is the config.json its metadata stands
 * for, and its tensors go by their Hugging Face names and shapes ({@link GgufArchitecture} has the
 * names). Tensors come back as the engine reads them:
 * <ul>
 *   <li>F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K and Q6_K matrices in place: slices of the mapping,
 *       nothing copied, multiplied by the kernels of their {@link DType};</li>
 *   <li>matrices of the other quantized types dequantized into F32 off-heap memory when first
 *       taken (4 bytes a weight), as ggml dequantizes them;</li>
 *   <li>llama's q/k weights and biases with the converter's row permutation undone (a copy in the
 *       stored type; {@code LlamaModel.permute} puts HF row {@code j·hd/2 + i} of each head at
 *       row {@code 2i + j}), and Gemma's norm weights, stored as 1 + w, back as w.</li>
 * </ul>
 * Everything the model does not use or the engine cannot run is an error naming the file: an
 * architecture it does not know, rope scaling other than llama3's factors, a tensor that belongs
 * to no layer. The mapping and the dequantized tensors live until {@link #close()}.
 */
public final class GgufModel implements TensorSource {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private record Located(String gguf, MappedGguf part, GgufTensorInfo info) {}

    /** Tokens llama.cpp's vocabulary loader counts as ends of generation by their text, whatever the metadata says. */
    private static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
            "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>");

    private final Path path;
    private final Arena arena = Arena.ofShared();
    private final List<MappedGguf> parts = new ArrayList<>();
    private final TreeMap<String, Located> byHf = new TreeMap<>();
    private final Map<String, Matrix> loaded = new HashMap<>();
    private GgufFile h;
    private GgufArchitecture arch;
    private ObjectNode config;
    private double[] ropeFactors;
    private int heads, kvHeads, headDim;

    private GgufModel(Path path) {
        this.path = path;
    }

    /**
     * Maps a GGUF model: one file, or every part of a split model in order (the first holds the
     * metadata; {@code io.ModelPath} finds the parts). Nothing is dequantized yet.
     */
    public static GgufModel open(List<Path> files) {
        if (files.isEmpty()) throw new IllegalArgumentException("no GGUF file");
        GgufModel m = new GgufModel(files.getFirst());
        try {
            m.read(files);
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private void read(List<Path> files) {
        for (Path f : files) parts.add(GgufReader.open(f, arena));
        h = parts.getFirst().header();
        checkSplit();
        String name = h.has("general.architecture") ? h.string("general.architecture") : null;
        if (name == null) throw error("no general.architecture: not a model (a vocabulary-only GGUF?)");
        if (parts.stream().allMatch(p -> p.tensors().isEmpty())) throw error("no tensors: a vocabulary-only GGUF, not a model");
        arch = GgufArchitecture.of(name);
        if (arch == null) throw error("general.architecture '" + name + "' is not supported (supported: " + GgufArchitecture.supported() + ")");
        Located ropeFreqs = null;
        for (MappedGguf part : parts) {
            for (GgufTensorInfo t : part.tensors()) {
                if (arch == GgufArchitecture.LLAMA && t.name().equals("rope_freqs.weight")) {
                    ropeFreqs = new Located(t.name(), part, t);
                    continue;
                }
                if (t.name().startsWith("rope_factors_")) {
                    throw new GgufException(part.path() + ": tensor " + GgufReader.quote(t.name())
                            + ": long-context rope scaling (LongRoPE factors) is not supported");
                }
                String hf = arch.hfName(t.name());
                if (hf == null) {
                    throw new GgufException(part.path() + ": unexpected tensor " + GgufReader.quote(t.name()) + " " + t.type().ggmlName + t.shape()
                            + " for a " + arch.ggufName + " model");
                }
                byHf.put(hf, new Located(t.name(), part, t));
            }
        }
        config = buildConfig();
        if (ropeFreqs != null) ropeFactors = ropeFactors(ropeFreqs);
    }

    /** gguf-split's parts: split.count of them, part i saying split.no = i, no tensor twice. */
    private void checkSplit() {
        int n = parts.size();
        long count = h.integer("split.count", 1);
        if (count != n) {
            throw error(n == 1
                    ? "part 1 of a model split into " + count + " files (split.count), but its name is not NAME-00001-of-"
                            + String.format("%05d", count) + ".gguf, so the other parts cannot be found"
                    : "split.count says " + count + " parts; the file names say " + n);
        }
        Map<String, Path> seen = new HashMap<>();
        long tensors = 0;
        for (int i = 0; i < n; i++) {
            MappedGguf p = parts.get(i);
            long no = p.header().integer("split.no", i);
            if (no != i) throw new GgufException(p.path() + ": split.no is " + no + ", but this is part " + (i + 1) + " of " + n + " (split.no " + i + ")");
            for (GgufTensorInfo t : p.tensors()) {
                Path other = seen.put(t.name(), p.path());
                if (other != null) throw new GgufException(p.path() + ": tensor " + GgufReader.quote(t.name()) + " is also in " + other);
                tensors++;
            }
        }
        if (h.has("split.tensors.count") && h.integer("split.tensors.count") != tensors) {
            throw error("split.tensors.count says " + h.integer("split.tensors.count") + " tensors; the " + n + " parts hold " + tensors);
        }
    }

    private GgufException error(String message) {
        return new GgufException(path + ": " + message);
    }

    private String key(String suffix) {
        return arch.ggufName + "." + suffix;
    }

    /** A whole number > 0 of the architecture's metadata ({@code fallback} < 0: required); a per-layer array must hold one value. */
    private long positive(String suffix, long fallback) {
        String k = key(suffix);
        long v;
        if (!h.has(k)) {
            if (fallback < 0) throw error("metadata key '" + k + "' is missing");
            return fallback;
        }
        Object o = h.get(k);
        if (o instanceof int[] || o instanceof long[]) {
            long[] all = Arrays.stream(h.ints(k)).asLongStream().distinct().toArray();
            if (all.length != 1) throw error("metadata key '" + k + "' differs between layers (" + Arrays.toString(h.ints(k)) + "); not supported");
            v = all[0];
        } else {
            v = h.integer(k);
        }
        if (v <= 0 || v > Integer.MAX_VALUE) throw error("metadata key '" + k + "' is " + v + "; it must be a whole number > 0");
        return v;
    }

    /** A finite number of the architecture's metadata; {@code fallback} NaN: required. */
    private double number(String suffix, double fallback) {
        String k = key(suffix);
        if (!h.has(k)) {
            if (Double.isNaN(fallback)) throw error("metadata key '" + k + "' is missing");
            return fallback;
        }
        if (!(h.get(k) instanceof Number num) || !Double.isFinite(num.doubleValue())) {
            throw error("metadata key '" + k + "' is " + h.types().get(k) + " " + h.get(k) + "; expected a finite number");
        }
        return num.doubleValue();
    }

    /** The config.json of the checkpoint, in transformers 4.x keys, for {@code model.ModelConfig}. */
    private ObjectNode buildConfig() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add(arch.hfArchitecture);
        c.put("model_type", arch.modelType);
        long hidden = positive("embedding_length", -1), layers = positive("block_count", -1);
        heads = (int) positive("attention.head_count", -1);
        kvHeads = (int) positive("attention.head_count_kv", heads);
        if (heads % kvHeads != 0) throw error(heads + " attention heads are not a multiple of " + kvHeads + " key/value heads");
        if (!h.has(key("attention.key_length")) && hidden % heads != 0) {
            throw error("embedding_length " + hidden + " is not a multiple of " + heads + " heads, and no attention.key_length says the head size");
        }
        headDim = (int) positive("attention.key_length", hidden / heads);
        if (positive("attention.value_length", headDim) != headDim) throw error(key("attention.value_length") + " differs from key_length " + headDim + "; not supported");
        long ff = positive("feed_forward_length", -1);
        long rot = positive("rope.dimension_count", headDim);
        double eps = number("attention.layer_norm_rms_epsilon", Double.NaN);
        double theta = number("rope.freq_base", 10000);
        String scaling = h.has(key("rope.scaling.type")) ? h.string(key("rope.scaling.type")) : "none";
        if (!scaling.equals("none")) throw error(key("rope.scaling.type") + " '" + scaling + "' is not supported (llama3's rope_freqs factors are)");
        if (number("rope.scale_linear", 1) != 1) throw error(key("rope.scale_linear") + " " + number("rope.scale_linear", 1) + ": linear rope scaling is not supported");
        long context = positive("context_length", 4096);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("vocab_size", vocabSize());
        c.put("tie_word_embeddings", !byHf.containsKey("lm_head.weight"));
        Located embed = byHf.get(arch.hfName("token_embd.weight"));
        GgmlType et = embed == null ? GgmlType.F32 : embed.info.type();
        // transformers runs a checkpoint in its stored dtype (Gemma rounds its embedding scale to it)
        c.put("torch_dtype", et == GgmlType.BF16 ? "bfloat16" : et == GgmlType.F16 ? "float16" : "float32");
        if (arch == GgufArchitecture.QWEN) {
            if (kvHeads != heads) throw error("qwen has as many key/value heads as heads; head_count_kv is " + kvHeads);
            c.put("kv_channels", headDim);
            c.put("intermediate_size", ff); // both halves, as Qwen-1's config says
            c.put("layer_norm_epsilon", eps);
            c.put("rotary_emb_base", theta);
            c.put("rotary_pct", (double) rot / headDim);
            c.put("seq_length", context);
            c.put("max_position_embeddings", context);
            c.put("no_bias", true);
        } else {
            c.put("num_key_value_heads", kvHeads);
            c.put("head_dim", headDim);
            c.put("intermediate_size", ff);
            c.put("rms_norm_eps", eps);
            c.put("rope_theta", theta);
            c.put("max_position_embeddings", context);
            if (rot != headDim) {
                // llama.cpp rotates adjacent pairs of llama's permuted rows: over part of a head, not Hugging Face's pairs
                if (arch.permutesQk) throw error(key("rope.dimension_count") + " " + rot + " rotates part of a head of " + headDim + "; not supported for llama");
                double f = (double) rot / headDim;
                if ((int) (headDim * f) != rot) throw error(key("rope.dimension_count") + " " + rot + " of a head of " + headDim + " cannot be a partial_rotary_factor");
                c.put("partial_rotary_factor", f);
            }
        }
        c.put("hidden_act", "silu");
        switch (arch) {
            case LLAMA -> {
                c.put("attention_bias", byHf.containsKey("model.layers.0.self_attn.q_proj.bias") || byHf.containsKey("model.layers.0.self_attn.o_proj.bias"));
                c.put("mlp_bias", byHf.containsKey("model.layers.0.mlp.gate_proj.bias") || byHf.containsKey("model.layers.0.mlp.down_proj.bias"));
            }
            case QWEN2 -> c.put("use_sliding_window", false);
            case GEMMA -> c.put("hidden_activation", "gelu_pytorch_tanh");
            case GEMMA2 -> {
                // llama.cpp's defaults for what the file does not say are Gemma-2's own
                c.put("hidden_activation", "gelu_pytorch_tanh");
                c.put("attn_logit_softcapping", number("attn_logit_softcapping", 50));
                c.put("final_logit_softcapping", number("final_logit_softcapping", 30));
                c.put("sliding_window", positive("attention.sliding_window", 4096));
                long period = positive("attention.sliding_window_pattern", 2);
                ArrayNode types = c.putArray("layer_types");
                for (long l = 0; l < layers; l++) types.add(l % period < period - 1 ? "sliding_attention" : "full_attention");
                // llama.cpp scales queries by head size^-0.5, or (hidden/heads)^-0.5 for the 46-layer 27B: query_pre_attn_scalar has no key
                c.put("query_pre_attn_scalar", layers == 46 ? hidden / heads : headDim);
            }
            case PHI3 -> {
                // Hugging Face masks every layer to the window (llama.cpp ignores it for phi3 for now)
                long window = h.has(key("attention.sliding_window")) ? h.integer(key("attention.sliding_window")) : 0;
                if (window > 0) c.put("sliding_window", window);
            }
            default -> { }
        }
        if (h.has("tokenizer.ggml.bos_token_id")) c.put("bos_token_id", h.integer("tokenizer.ggml.bos_token_id"));
        // generation ends where llama.cpp ends it: eos, eot, eom, and tokens that read as an end of turn
        Set<Long> eos = new LinkedHashSet<>();
        for (String k : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")) {
            if (h.has(k)) eos.add(h.integer(k));
        }
        if (h.has("tokenizer.ggml.tokens") && h.get("tokenizer.ggml.tokens") instanceof String[] vocab) {
            for (int i = 0; i < vocab.length; i++) if (END_OF_TURN.contains(vocab[i])) eos.add((long) i);
        }
        if (eos.size() == 1) c.put("eos_token_id", eos.iterator().next());
        else if (!eos.isEmpty()) eos.forEach(c.putArray("eos_token_id")::add);
        return c;
    }

    private long vocabSize() {
        if (h.has(key("vocab_size"))) return positive("vocab_size", -1);
        Located embed = byHf.get(arch.hfName("token_embd.weight"));
        if (embed == null || embed.info.dims().length != 2) throw error("no token_embd.weight [hidden, vocab] to take the vocabulary size from");
        return embed.info.dims()[1];
    }

    /** llama3 rope scaling as the converter stores it: one divisor per rotated frequency. */
    private double[] ropeFactors(Located t) {
        if (t.info.dims().length != 1 || t.info.dims()[0] != headDim / 2) {
            throw new GgufException(t.part.path() + ": rope_freqs.weight is " + t.info.shape() + "; a head of " + headDim + " has " + headDim / 2 + " frequencies");
        }
        float[] f = t.part.dequantize(t.info);
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            if (!(f[i] > 0) || !Float.isFinite(f[i])) throw new GgufException(t.part.path() + ": rope_freqs.weight[" + i + "] is " + f[i] + "; factors are > 0");
            out[i] = f[i];
        }
        return out;
    }

    /** The config.json the metadata stands for (transformers 4.x keys). */
    public ObjectNode config() {
        return config.deepCopy();
    }

    /** llama3 rope scaling's per-frequency divisors (rope_freqs.weight), or null when the file has none. */
    public double[] ropeFactors() {
        return ropeFactors == null ? null : ropeFactors.clone();
    }

    /** The metadata and tensor table of the first part. */
    public GgufFile header() {
        return h;
    }

    /** llama.cpp's name of the architecture (general.architecture). */
    public String architecture() {
        return arch.ggufName;
    }

    /** The first part, which holds the metadata. */
    @Override
    public Path path() {
        return path;
    }

    @Override
    public Iterable<String> names() {
        return java.util.Collections.unmodifiableSet(byHf.keySet());
    }

    @Override
    public boolean has(String name) {
        return byHf.containsKey(name);
    }

    /** The GGUF tensor behind a Hugging Face name, or null. */
    public GgufTensorInfo info(String name) {
        Located t = byHf.get(name);
        return t == null ? null : t.info;
    }

    private Located locate(String name) {
        Located t = byHf.get(name);
        if (t != null) return t;
        String gguf = arch.ggufName(name);
        throw new ModelFormatException(path, "tensor " + (gguf == null ? "'" + name + "'" : "'" + gguf + "' (Hugging Face's " + name + ")")
                + " is missing" + (parts.size() > 1 ? " from all " + parts.size() + " parts" : ""));
    }

    private void checkShape(Located t, long[] expected) {
        long[] dims = t.info.dims();
        long[] want = new long[expected.length]; // ggml order: innermost first
        for (int i = 0; i < expected.length; i++) want[i] = expected[expected.length - 1 - i];
        if (!Arrays.equals(dims, want)) {
            throw new ModelFormatException(t.part.path(), "tensor '" + t.gguf + "' is " + t.info.type().ggmlName + t.info.shape()
                    + " but the model's metadata implies " + Arrays.toString(want) + " (ggml order, innermost first)");
        }
    }

    /** Heads whose rows the converter permuted in this tensor (llama's q and k), else 0. */
    private int permutedHeads(String name) {
        if (!arch.permutesQk) return 0;
        if (name.endsWith(".self_attn.q_proj.weight") || name.endsWith(".self_attn.q_proj.bias")) return heads;
        if (name.endsWith(".self_attn.k_proj.weight") || name.endsWith(".self_attn.k_proj.bias")) return kvHeads;
        return 0;
    }

    /** The GGUF row of Hugging Face row {@code r}: row (head, j·hd/2 + i) was written as (head, 2i + j). */
    private int ggufRow(int r, int permutedHeads) {
        if (permutedHeads == 0) return r;
        int half = headDim / 2, head = r / headDim, within = r % headDim;
        return head * headDim + 2 * (within % half) + within / half;
    }

    private boolean shifted(String name) {
        return arch.normsPlusOne && name.endsWith("norm.weight");
    }

    @Override
    public synchronized Matrix matrix(String name, long... expected) {
        String k = name + Arrays.toString(expected);
        Matrix m = loaded.get(k);
        if (m == null) {
            m = load(name, expected);
            loaded.put(k, m);
        }
        return m;
    }

    private Matrix load(String name, long[] expected) {
        Located t = locate(name);
        checkShape(t, expected);
        if (expected.length == 1 || shifted(name)) { // a vector, or one that is changed anyway: from its floats
            float[] f = floats(name, expected);
            MemorySegment out = arena.allocate((long) f.length * 4, 64);
            MemorySegment.copy(f, 0, out, F32_LE, 0, f.length);
            return new Matrix(out, DType.F32, expected.length == 1 ? 1 : Math.toIntExact(expected[0]), Math.toIntExact(expected[expected.length - 1]));
        }
        int rows = Math.toIntExact(expected[0]), cols = Math.toIntExact(expected[expected.length - 1]);
        int permuted = permutedHeads(name);
        checkPermutable(t, rows, permuted);
        DType dt = DType.of(t.info.type());
        MemorySegment data = t.part.data(t.info);
        if (dt != null && permuted == 0) return new Matrix(data, dt, rows, cols);
        if (dt != null) { // rows back in Hugging Face's order, in the stored type
            long rowBytes = dt.bytes(cols);
            MemorySegment out = arena.allocate(rows * rowBytes, 64);
            for (int r = 0; r < rows; r++) MemorySegment.copy(data, ggufRow(r, permuted) * rowBytes, out, r * rowBytes, rowBytes);
            return new Matrix(out, dt, rows, cols);
        }
        requireDequantizable(t); // a type no kernel reads: dequantized once, here
        MemorySegment out = arena.allocate((long) rows * cols * 4, 64);
        Parallel.forRange(rows, Math.max(1, (1 << 16) / cols), (r0, r1) -> {
            float[] row = new float[cols];
            for (int r = r0; r < r1; r++) {
                t.part.dequantizeRow(t.info, ggufRow(r, permuted), row, 0);
                MemorySegment.copy(row, 0, out, F32_LE, (long) r * cols * 4, cols);
            }
        });
        return new Matrix(out, DType.F32, rows, cols);
    }

    private void checkPermutable(Located t, long rows, int permuted) {
        if (permuted > 0 && (rows != (long) permuted * headDim || headDim % 2 != 0)) {
            throw new GgufException(t.part.path() + ": tensor " + GgufReader.quote(t.gguf) + " has " + rows + " rows, not " + permuted + " heads of " + headDim);
        }
    }

    private void requireDequantizable(Located t) {
        if (!t.info.type().dequantizable()) {
            throw new GgufException(t.part.path() + ": tensor " + GgufReader.quote(t.gguf) + " is " + t.info.type().ggmlName
                    + ", which refusal4j cannot dequantize (it reads " + GgmlType.dequantizableNames() + ")");
        }
    }

    @Override
    public float[] floats(String name, long... expected) {
        Located t = locate(name);
        checkShape(t, expected);
        requireDequantizable(t);
        float[] x = t.part.dequantize(t.info);
        int permuted = permutedHeads(name);
        if (permuted > 0) {
            int rows = Math.toIntExact(expected[0]), cols = x.length / rows;
            checkPermutable(t, rows, permuted);
            float[] out = new float[x.length];
            for (int r = 0; r < rows; r++) System.arraycopy(x, ggufRow(r, permuted) * cols, out, r * cols, cols);
            x = out;
        }
        if (shifted(name)) for (int i = 0; i < x.length; i++) x[i] -= 1f; // exact where 1 + w >= 0.5 (Sterbenz)
        return x;
    }

    @Override
    public ModelFormatException unexpected(String name, String context) {
        Located t = locate(name);
        return new ModelFormatException(t.part.path(), "unexpected tensor '" + t.gguf + "' " + t.info.type().ggmlName + t.info.shape()
                + " " + context + " (is general.architecture right?)");
    }

    @Override
    public void requireFinite() {
        for (Located t : byHf.values()) {
            requireDequantizable(t);
            WeightValidator.requireFinite(t.part.path(), "tensor '" + t.gguf + "'", t.info.shape(), t.info.rows(), Math.toIntExact(t.info.rowLength()),
                    (r, buf) -> t.part.dequantizeRow(t.info, r, buf, 0));
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
