package dev.refusal4j.io.gguf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A llama-architecture GGUF file (general.architecture "llama": Llama 1-3, Mistral, TinyLlama as
 * llama.cpp's convert_hf_to_gguf.py writes them) seen as the Hugging Face checkpoint it came from:
 * the config.json its metadata stands for, and each tensor under its Hugging Face name,
 * dequantized to F32 with the q/k row order of Hugging Face.
 *
 * <p>The converter reorders the rows of q_proj and k_proj (weights and biases) so that llama.cpp
 * can rotate adjacent pairs: within each head of size hd, HF row {@code j·hd/2 + i} (the two
 * halves that HF's rotate_half pairs) becomes GGUF row {@code 2i + j} ({@code LlamaModel.permute}:
 * reshape to (heads, 2, hd/2, ...), swap the middle axes). {@link #tensor} undoes it, with the
 * query heads for q and the key/value heads for k.
 */
public final class LlamaGguf {
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(\\w+)\\.(weight|bias)");
    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("attn_norm", "input_layernorm"), Map.entry("ffn_norm", "post_attention_layernorm"),
            Map.entry("attn_q", "self_attn.q_proj"), Map.entry("attn_k", "self_attn.k_proj"),
            Map.entry("attn_v", "self_attn.v_proj"), Map.entry("attn_output", "self_attn.o_proj"),
            Map.entry("ffn_gate", "mlp.gate_proj"), Map.entry("ffn_up", "mlp.up_proj"), Map.entry("ffn_down", "mlp.down_proj"));

    private final MappedGguf gguf;
    private final GgufFile h;
    private final int heads, kvHeads, layers, headDim;
    private final Map<String, GgufTensorInfo> byHfName = new LinkedHashMap<>();

    public LlamaGguf(MappedGguf gguf) {
        this.gguf = gguf;
        this.h = gguf.header();
        String arch = h.has("general.architecture") ? h.string("general.architecture") : "(none)";
        if (!arch.equals("llama")) throw error("general.architecture is '" + arch + "'; only 'llama' files can be loaded so far");
        layers = Math.toIntExact(h.integer("llama.block_count"));
        heads = Math.toIntExact(h.integer("llama.attention.head_count"));
        kvHeads = Math.toIntExact(h.integer("llama.attention.head_count_kv", heads));
        long hidden = h.integer("llama.embedding_length");
        if (heads <= 0 || kvHeads <= 0 || layers <= 0 || heads % kvHeads != 0) {
            throw error(heads + " heads, " + kvHeads + " key/value heads and " + layers + " layers do not make a model");
        }
        headDim = Math.toIntExact(h.integer("llama.attention.key_length", hidden / heads));
        if (h.integer("llama.attention.value_length", headDim) != headDim) throw error("llama.attention.value_length differs from key_length");
        if (h.integer("llama.rope.dimension_count", headDim) != headDim) {
            throw error("llama.rope.dimension_count " + h.integer("llama.rope.dimension_count") + " rotates part of a head of " + headDim + "; not supported");
        }
        if (h.has("llama.rope.scaling.type") && !h.string("llama.rope.scaling.type").equals("none")) {
            throw error("rope scaling '" + h.string("llama.rope.scaling.type") + "' is not supported yet");
        }
        for (GgufTensorInfo t : h.tensors()) {
            String hf = hfName(t.name());
            if (hf == null) {
                throw error(t.name().equals("rope_freqs.weight")
                        ? "rope_freqs.weight (Llama 3.1's rope scaling, stored as factors) is not supported yet"
                        : "unexpected tensor " + GgufReader.quote(t.name()) + " for a llama model");
            }
            byHfName.put(hf, t);
        }
    }

    private GgufException error(String message) {
        return new GgufException(gguf.path() + ": " + message);
    }

    /** The Hugging Face name of a GGUF tensor of the llama architecture, or null. */
    static String hfName(String gguf) {
        switch (gguf) {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default:
        }
        Matcher m = BLOCK.matcher(gguf);
        if (!m.matches() || !LAYER_NAMES.containsKey(m.group(2))) return null;
        return "model.layers." + m.group(1) + "." + LAYER_NAMES.get(m.group(2)) + "." + m.group(3);
    }

    /** The config.json of the checkpoint, F32 (the tensors are dequantized). */
    public ObjectNode config() {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", h.integer("llama.embedding_length"));
        c.put("intermediate_size", h.integer("llama.feed_forward_length"));
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("head_dim", headDim);
        c.put("vocab_size", vocabSize());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", ((Number) h.get("llama.attention.layer_norm_rms_epsilon")).doubleValue());
        c.put("rope_theta", h.has("llama.rope.freq_base") ? ((Number) h.get("llama.rope.freq_base")).doubleValue() : 10000.0);
        c.put("max_position_embeddings", h.integer("llama.context_length"));
        c.put("tie_word_embeddings", !byHfName.containsKey("lm_head.weight"));
        c.put("torch_dtype", "float32");
        if (h.has("tokenizer.ggml.bos_token_id")) c.put("bos_token_id", h.integer("tokenizer.ggml.bos_token_id"));
        if (h.has("tokenizer.ggml.eos_token_id")) c.put("eos_token_id", h.integer("tokenizer.ggml.eos_token_id"));
        return c;
    }

    private long vocabSize() {
        if (h.has("llama.vocab_size")) return h.integer("llama.vocab_size");
        GgufTensorInfo embed = byHfName.get("model.embed_tokens.weight");
        if (embed == null || embed.dims().length != 2) throw error("no token_embd.weight [hidden, vocab] to take the vocabulary size from");
        return embed.dims()[1];
    }

    /** Hugging Face name → the GGUF tensor behind it, in file order. */
    public Map<String, GgufTensorInfo> tensors() {
        return java.util.Collections.unmodifiableMap(byHfName);
    }

    /** The shape in Hugging Face's order (outermost first): [out, in] for a matrix. */
    public long[] shape(String hfName) {
        long[] dims = info(hfName).dims();
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) shape[i] = dims[dims.length - 1 - i];
        return shape;
    }

    /** The tensor as F32 in Hugging Face's layout: q_proj and k_proj rows back in rotate_half order. */
    public float[] tensor(String hfName) {
        GgufTensorInfo t = info(hfName);
        float[] x = gguf.dequantize(t);
        if (hfName.contains(".self_attn.q_proj.")) return unpermute(x, heads, t);
        if (hfName.contains(".self_attn.k_proj.")) return unpermute(x, kvHeads, t);
        return x;
    }

    private GgufTensorInfo info(String hfName) {
        GgufTensorInfo t = byHfName.get(hfName);
        if (t == null) throw error("no tensor for " + GgufReader.quote(hfName));
        return t;
    }

    /** Inverse of convert_hf_to_gguf's permute: HF row (head, j·hd/2 + i) is GGUF row (head, 2i + j). */
    private float[] unpermute(float[] x, int nHeads, GgufTensorInfo t) {
        long rows = t.dims().length == 1 ? t.dims()[0] : t.rows();
        int cols = t.dims().length == 1 ? 1 : (int) t.rowLength();
        if (rows != (long) nHeads * headDim || headDim % 2 != 0) {
            throw error(GgufReader.quote(t.name()) + " has " + rows + " rows, not " + nHeads + " heads of " + headDim);
        }
        float[] out = new float[x.length];
        int half = headDim / 2;
        for (int head = 0; head < nHeads; head++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    int hfRow = head * headDim + j * half + i, ggufRow = head * headDim + 2 * i + j;
                    System.arraycopy(x, ggufRow * cols, out, hfRow * cols, cols);
                }
            }
        }
        return out;
    }
}
