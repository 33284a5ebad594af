package dev.refusal4j.testutil;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.quant.BlockQ8_0;
import dev.refusal4j.tensor.quant.GgmlType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face folder written as llama.cpp's convert_hf_to_gguf.py writes it, for tests: its
 * metadata keys per architecture, gguf-py's tensor names, llama's q/k row permutation
 * ({@code LlamaModel.permute}), Gemma's norms stored as 1 + w and its lm_head dropped, llama3 rope
 * scaling as rope_freqs.weight factors; 1-D tensors F32, matrices in the type asked for (Q8_0 by
 * ggml's reference quantizer; a matrix whose rows are not whole blocks F16, as the converter falls
 * back); with a tokenizer.json, the vocabulary as a "gpt2" vocabulary and the chat template. A
 * split writes gguf-split's parts, metadata in the first.
 *
 * <p>Written from the converter's definitions, independently of the loader under test.
 */
public final class HfToGguf {
    /**
     * What the matrices become: as stored (F32 or BF16), or converted. Q4_0, Q4_K and Q6_K are
     * random blocks ({@link RandomBlocks}) of each tensor's standard deviation, seeded by its name:
     * weights of that format but not the model's, for tests that compare two ways of running the
     * same file.
     */
    public enum Type { KEEP, F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K }

    private final Path dir;
    private final JsonNode c;
    private Type type = Type.KEEP;
    private int splits = 1;
    private String pre;
    private double qScale = 1;

    private HfToGguf(Path dir) throws IOException {
        this.dir = dir;
        this.c = Json.MAPPER.readTree(dir.resolve("config.json").toFile());
    }

    public static HfToGguf of(Path hfDir) throws IOException {
        return new HfToGguf(hfDir);
    }

    public HfToGguf type(Type t) {
        this.type = t;
        return this;
    }

    /** Writes gguf-split's NAME-0000i-of-0000N.gguf parts. */
    public HfToGguf split(int parts) {
        this.splits = parts;
        return this;
    }

    /** Adds the folder's tokenizer.json as a "gpt2" vocabulary whose pre-tokenizer llama.cpp calls {@code pre}, and its chat template. */
    public HfToGguf tokenizer(String pre) {
        this.pre = pre;
        return this;
    }

    /**
     * Multiplies q_proj's rows by {@code s}: Gemma-2's query_pre_attn_scalar has no GGUF key, and
     * llama.cpp scales queries by head_dim^-0.5, so a model whose scalar differs is written with
     * q scaled by sqrt(head_dim / scalar), as the golden README's llama.cpp cross-check did.
     */
    public HfToGguf scaleQ(double s) {
        this.qScale = s;
        return this;
    }

    public String arch() {
        return switch (c.path("model_type").asText()) {
            case "llama", "mistral" -> "llama";
            case "qwen" -> "qwen";
            default -> c.path("model_type").asText();
        };
    }

    /** Writes the GGUF (or its parts: the first is returned) to {@code out}. */
    public Path write(Path out) throws IOException {
        String a = arch();
        Map<String, Object[]> tensors = new LinkedHashMap<>(); // name -> {GgmlType, byte[], long[] ne}
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"), arena);
            for (TensorInfo t : f.tensors().values()) {
                String name = t.name();
                if (name.endsWith("rotary_emb.inv_freq")) continue;
                if ((a.equals("gemma") || a.equals("gemma2")) && name.equals("lm_head.weight")) continue;
                long[] shape = t.shape();
                DType dt = DType.fromSafetensors(t.dtype());
                int cols = (int) shape[shape.length - 1], rows = (int) (t.elements() / cols);
                Matrix m = new Matrix(f.segment(t), dt, rows, cols);
                float[] x = m.toFloats();
                byte[] raw = f.segment(t).toArray(ValueLayout.JAVA_BYTE);
                boolean changed = false;
                if (a.equals("llama") && (name.contains(".q_proj.") || name.contains(".k_proj."))) {
                    int h = c.get("num_attention_heads").asInt();
                    int nHead = name.contains(".q_proj.") ? h : c.path("num_key_value_heads").asInt(h);
                    raw = permute(raw, (int) shape[0], nHead);
                    x = toFloats(raw, dt);
                }
                if (qScale != 1 && name.contains(".q_proj.weight")) {
                    for (int i = 0; i < x.length; i++) x[i] = (float) (x[i] * qScale);
                    changed = true;
                }
                if ((a.equals("gemma") || a.equals("gemma2")) && name.endsWith("norm.weight")) {
                    for (int i = 0; i < x.length; i++) x[i] = x[i] + 1f;
                    changed = true;
                }
                long[] ne = new long[shape.length];
                for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
                GgmlType gt;
                byte[] bytes;
                if (shape.length <= 1) {
                    gt = GgmlType.F32;
                    bytes = f32(x);
                } else {
                    Type want = type == Type.KEEP ? (dt == DType.BF16 ? Type.BF16 : dt == DType.F16 ? Type.F16 : Type.F32) : type;
                    // llama.cpp's fallback for rows that are not whole 256-blocks: Q8_0 for Q6_K, Q5_0 for
                    // Q4_K (Q4_0 here, a type refusal4j multiplies in place); then F16 as the converter does
                    if ((want == Type.Q4_K || want == Type.Q6_K) && cols % 256 != 0) want = want == Type.Q6_K ? Type.Q8_0 : Type.Q4_0;
                    if (want.ordinal() >= Type.Q8_0.ordinal() && cols % 32 != 0) want = Type.F16;
                    if (want == Type.BF16 && dt == DType.BF16 && !changed) {
                        gt = GgmlType.BF16;
                        bytes = raw;
                    } else {
                        gt = switch (want) {
                            case F16 -> GgmlType.F16;
                            case BF16 -> GgmlType.BF16;
                            case Q8_0 -> GgmlType.Q8_0;
                            case Q4_0 -> GgmlType.Q4_0;
                            case Q4_K -> GgmlType.Q4_K;
                            case Q6_K -> GgmlType.Q6_K;
                            default -> GgmlType.F32;
                        };
                        bytes = encode(x, gt, name);
                    }
                }
                tensors.put(ggufName(a, name), new Object[] {gt, bytes, ne});
            }
        }
        if (a.equals("llama") && c.path("rope_scaling").path("rope_type").asText("").equals("llama3")) {
            tensors.put("rope_freqs.weight", new Object[] {GgmlType.F32, f32(llama3Factors()), new long[] {headDim() / 2}});
        }
        List<GgufWriter> parts = new ArrayList<>();
        for (int i = 0; i < splits; i++) parts.add(new GgufWriter());
        metadata(parts.getFirst(), a);
        int i = 0, perPart = (tensors.size() + splits - 1) / splits;
        for (var e : tensors.entrySet()) {
            Object[] t = e.getValue();
            parts.get(Math.min(i++ / perPart, splits - 1)).addTensor(e.getKey(), (GgmlType) t[0], (byte[]) t[1], (long[]) t[2]);
        }
        if (splits == 1) {
            parts.getFirst().write(out);
            return out;
        }
        String base = out.getFileName().toString().replaceFirst("\\.gguf$", "");
        Path first = null;
        for (int p = 0; p < splits; p++) {
            parts.get(p).putUInt16("split.no", p).putUInt16("split.count", splits).putInt32("split.tensors.count", tensors.size());
            Path file = out.resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", base, p + 1, splits));
            parts.get(p).write(file);
            if (first == null) first = file;
        }
        return first;
    }

    private int headDim() {
        return c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : c.get("hidden_size").asInt() / c.get("num_attention_heads").asInt();
    }

    private void metadata(GgufWriter w, String a) throws IOException {
        w.putString("general.architecture", a).putString("general.name", dir.getFileName().toString());
        if (a.equals("qwen")) { // QwenModel.set_gguf_parameters
            w.putUInt32(a + ".context_length", c.get("max_position_embeddings").asLong())
                    .putUInt32(a + ".block_count", c.get("num_hidden_layers").asLong())
                    .putUInt32(a + ".embedding_length", c.get("hidden_size").asLong())
                    .putUInt32(a + ".feed_forward_length", c.get("intermediate_size").asLong())
                    .putFloat32(a + ".rope.freq_base", (float) c.get("rotary_emb_base").asDouble())
                    .putUInt32(a + ".rope.dimension_count", c.get("hidden_size").asLong() / c.get("num_attention_heads").asLong())
                    .putUInt32(a + ".attention.head_count", c.get("num_attention_heads").asLong())
                    .putFloat32(a + ".attention.layer_norm_rms_epsilon", (float) c.get("layer_norm_epsilon").asDouble());
        } else { // TextModel.set_gguf_parameters and each model's additions
            w.putUInt32(a + ".block_count", c.get("num_hidden_layers").asLong())
                    .putUInt32(a + ".context_length", c.get("max_position_embeddings").asLong())
                    .putUInt32(a + ".embedding_length", c.get("hidden_size").asLong())
                    .putUInt32(a + ".feed_forward_length", c.get("intermediate_size").asLong())
                    .putUInt32(a + ".attention.head_count", c.get("num_attention_heads").asLong());
            if (c.has("num_key_value_heads")) w.putUInt32(a + ".attention.head_count_kv", c.get("num_key_value_heads").asLong());
            w.putFloat32(a + ".rope.freq_base", (float) c.path("rope_theta").asDouble(10000));
            w.putFloat32(a + ".attention.layer_norm_rms_epsilon", (float) c.get("rms_norm_eps").asDouble());
            if (c.hasNonNull("head_dim")) {
                w.putUInt32(a + ".attention.key_length", c.get("head_dim").asLong()).putUInt32(a + ".attention.value_length", c.get("head_dim").asLong());
            }
            switch (a) {
                case "llama" -> w.putUInt32(a + ".vocab_size", c.get("vocab_size").asLong()).putUInt32(a + ".rope.dimension_count", headDim());
                case "gemma2" -> w.putFloat32(a + ".attn_logit_softcapping", (float) c.get("attn_logit_softcapping").asDouble())
                        .putFloat32(a + ".final_logit_softcapping", (float) c.get("final_logit_softcapping").asDouble())
                        .putUInt32(a + ".attention.sliding_window", c.get("sliding_window").asLong());
                case "phi3" -> w.putUInt32(a + ".rope.scaling.original_context_length", c.path("original_max_position_embeddings").asLong(4096))
                        .putUInt32(a + ".rope.dimension_count", headDim())
                        .putUInt32(a + ".attention.sliding_window", c.path("sliding_window").asLong(0));
                default -> { }
            }
        }
        if (pre != null) vocabulary(w);
        else { // no tokenizer: config.json's ids, as gguf-py's SpecialVocab falls back to them
            if (c.hasNonNull("bos_token_id")) w.putUInt32("tokenizer.ggml.bos_token_id", c.get("bos_token_id").asLong());
            if (c.hasNonNull("eos_token_id") && !c.get("eos_token_id").isArray()) w.putUInt32("tokenizer.ggml.eos_token_id", c.get("eos_token_id").asLong());
        }
    }

    /** A byte-level BPE tokenizer.json as llama.cpp's "gpt2" vocabulary (_set_vocab_gpt2), and the chat template. */
    private void vocabulary(GgufWriter w) throws IOException {
        JsonNode tok = Json.MAPPER.readTree(dir.resolve("tokenizer.json").toFile());
        int n = c.get("vocab_size").asInt();
        String[] tokens = new String[n];
        int[] types = new int[n];
        tok.get("model").get("vocab").fields().forEachRemaining(e -> {
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = 1; // NORMAL
        });
        for (JsonNode t : tok.get("added_tokens")) {
            tokens[t.get("id").asInt()] = t.get("content").asText();
            types[t.get("id").asInt()] = t.path("special").asBoolean() ? 3 : 4; // CONTROL, USER_DEFINED
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5; // UNUSED
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tok.get("model").get("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        w.putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putStringArray("tokenizer.ggml.tokens", List.of(tokens)).putInt32Array("tokenizer.ggml.token_type", types)
                .putStringArray("tokenizer.ggml.merges", merges);
        Path tc = dir.resolve("tokenizer_config.json");
        JsonNode cfg = Files.isRegularFile(tc) ? Json.MAPPER.readTree(tc.toFile()) : Json.MAPPER.createObjectNode();
        // gguf-py's SpecialVocab: tokenizer_config.json's special tokens by their text, else config.json's ids
        List<String> vocab = List.of(tokens);
        String[][] special = {{"bos", "bos"}, {"eos", "eos"}, {"unk", "unknown"}, {"sep", "seperator"}, {"pad", "padding"}, {"cls", "cls"}, {"mask", "mask"}};
        for (String[] k : special) {
            JsonNode t = cfg.path(k[0] + "_token");
            String text = t.isTextual() ? t.asText() : t.path("content").isTextual() ? t.path("content").asText() : null;
            long id = text != null && vocab.contains(text) ? vocab.indexOf(text) : c.path(k[0] + "_token_id").isIntegralNumber() ? c.get(k[0] + "_token_id").asLong() : -1;
            if (id >= 0) w.putUInt32("tokenizer.ggml." + k[1] + "_token_id", id);
        }
        w.putBool("tokenizer.ggml.add_bos_token", cfg.path("add_bos_token").asBoolean(false));
        if (cfg.path("chat_template").isTextual()) w.putString("tokenizer.chat_template", cfg.get("chat_template").asText());
    }

    /** LlamaModel.generate_extra_tensors: a divisor per frequency, the frequencies in float32 as torch computes them. */
    private float[] llama3Factors() {
        JsonNode r = c.get("rope_scaling");
        double base = c.path("rope_theta").asDouble(10000), factor = r.path("factor").asDouble(8), low = r.path("low_freq_factor").asDouble(1),
                high = r.path("high_freq_factor").asDouble(4), old = r.path("original_max_position_embeddings").asDouble(8192);
        int dim = headDim();
        float[] out = new float[dim / 2];
        for (int i = 0; i < out.length; i++) {
            float freq = 1f / (float) Math.pow(base, (float) (2 * i) / dim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < old / high) out[i] = 1;
            else if (wavelen > old / low) out[i] = (float) factor;
            else {
                double smooth = (old / wavelen - low) / (high - low);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /** gguf-py's tensor map for these layouts. */
    static String ggufName(String a, String hf) {
        switch (hf) {
            case "model.embed_tokens.weight", "transformer.wte.weight": return "token_embd.weight";
            case "model.norm.weight", "transformer.ln_f.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
            default:
        }
        String s = hf.replace("model.layers.", "blk.").replace("transformer.h.", "blk.");
        String[][] map = a.equals("qwen") ? new String[][] {
                {".ln_1.", ".attn_norm."}, {".ln_2.", ".ffn_norm."}, {".attn.c_attn.", ".attn_qkv."}, {".attn.c_proj.", ".attn_output."},
                {".mlp.w1.", ".ffn_up."}, {".mlp.w2.", ".ffn_gate."}, {".mlp.c_proj.", ".ffn_down."}}
                : new String[][] {
                {".input_layernorm.", ".attn_norm."},
                {".post_attention_layernorm.", a.equals("gemma2") ? ".post_attention_norm." : ".ffn_norm."},
                {".pre_feedforward_layernorm.", ".ffn_norm."}, {".post_feedforward_layernorm.", ".post_ffw_norm."},
                {".self_attn.qkv_proj.", ".attn_qkv."}, {".mlp.gate_up_proj.", ".ffn_up."},
                {".self_attn.q_proj.", ".attn_q."}, {".self_attn.k_proj.", ".attn_k."}, {".self_attn.v_proj.", ".attn_v."},
                {".self_attn.o_proj.", ".attn_output."}, {".self_attn.q_norm.", ".attn_q_norm."}, {".self_attn.k_norm.", ".attn_k_norm."},
                {".mlp.gate_proj.", ".ffn_gate."}, {".mlp.up_proj.", ".ffn_up."}, {".mlp.down_proj.", ".ffn_down."}};
        for (String[] m : map) {
            if (s.contains(m[0])) return s.replace(m[0], m[1]);
        }
        throw new IllegalArgumentException("no GGUF name for " + hf);
    }

    /**
     * convert_hf_to_gguf.py's {@code LlamaModel.permute} on rows of bytes: {@code w.reshape(n_head,
     * 2, rows // n_head // 2, ...).swapaxes(1, 2).reshape(w.shape)}, in the order numpy reads the
     * swapped array.
     */
    static byte[] permute(byte[] w, int rows, int nHead) {
        int rowBytes = w.length / rows, half = rows / nHead / 2;
        byte[] out = new byte[w.length];
        int next = 0;
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) { // swapped [h, i, j] = original [h, j, i]
                    System.arraycopy(w, (h * 2 * half + j * half + i) * rowBytes, out, next, rowBytes);
                    next += rowBytes;
                }
            }
        }
        return out;
    }

    private static float[] toFloats(byte[] raw, DType dt) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        float[] x = new float[(int) (raw.length / dt.bytes(1))];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (dt) {
                case F32 -> b.getFloat();
                case BF16 -> DType.bf16ToFloat(b.getShort());
                case F16 -> DType.f16ToFloat(b.getShort());
                default -> throw new IllegalArgumentException(dt + " in a safetensors file");
            };
        }
        return x;
    }

    private static byte[] f32(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) b.putFloat(v);
        return b.array();
    }

    /** numpy's astype(float16), gguf-py's fp32-to-bf16 (both round to nearest even), ggml's reference Q8_0. */
    static byte[] encode(float[] x, GgmlType t, String name) {
        return switch (t) {
            case F32 -> f32(x);
            case F16, BF16 -> {
                ByteBuffer b = ByteBuffer.allocate(x.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float v : x) b.putShort(t == GgmlType.F16 ? DType.floatToF16(v) : DType.floatToBf16(v));
                yield b.array();
            }
            case Q8_0 -> {
                byte[] out = new byte[x.length / BlockQ8_0.ELEMENTS * BlockQ8_0.BYTES];
                for (int k = 0; k < x.length / BlockQ8_0.ELEMENTS; k++) BlockQ8_0.quantize(x, k * BlockQ8_0.ELEMENTS, out, k * BlockQ8_0.BYTES);
                yield out;
            }
            case Q4_0, Q4_K, Q6_K -> {
                double ss = 0;
                for (float v : x) ss += (double) v * v;
                DType d = DType.of(t);
                yield RandomBlocks.blocks(d, (int) (d.bytes(x.length) / d.blockBytes), Math.sqrt(ss / x.length), new java.util.SplittableRandom(name.hashCode()));
            }
            default -> throw new IllegalArgumentException(t.ggmlName);
        };
    }
}
