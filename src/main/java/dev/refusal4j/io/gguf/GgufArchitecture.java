package dev.refusal4j.io.gguf;

import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The llama.cpp architectures refusal4j runs ({@code general.architecture}), one row each: the
 * Hugging Face class the file was converted from, how convert_hf_to_gguf.py renamed its tensors
 * (gguf-py's tensor map), and what else it changed. Only llama's q/k rows are permuted (llama.cpp
 * rotates adjacent pairs for it; qwen2, qwen3, gemma, gemma2, phi3 and qwen use the NeoX order that
 * Hugging Face uses), and only Gemma's norm weights are stored as 1 + w (llama.cpp multiplies by
 * the stored weight; Gemma's RMSNorm by 1 + w).
 */
public enum GgufArchitecture {
    //     llama.cpp  Hugging Face         model_type tensor names       q/k permuted  norms stored as 1 + w
    LLAMA("llama", "LlamaForCausalLM", "llama", Names.LLAMA, true, false),
    QWEN2("qwen2", "Qwen2ForCausalLM", "qwen2", Names.LLAMA, false, false),
    QWEN3("qwen3", "Qwen3ForCausalLM", "qwen3", Names.LLAMA, false, false),
    GEMMA("gemma", "GemmaForCausalLM", "gemma", Names.LLAMA, false, true),
    GEMMA2("gemma2", "Gemma2ForCausalLM", "gemma2", Names.GEMMA2, false, true),
    PHI3("phi3", "Phi3ForCausalLM", "phi3", Names.PHI3, false, false),
    QWEN("qwen", "QWenLMHeadModel", "qwen", Names.QWEN1, false, false);

    public final String ggufName;
    final String hfArchitecture;
    final String modelType;
    final Names names;
    public final boolean permutesQk;
    public final boolean normsPlusOne;

    GgufArchitecture(String ggufName, String hfArchitecture, String modelType, Names names, boolean permutesQk, boolean normsPlusOne) {
        this.ggufName = ggufName;
        this.hfArchitecture = hfArchitecture;
        this.modelType = modelType;
        this.names = names;
        this.permutesQk = permutesQk;
        this.normsPlusOne = normsPlusOne;
    }

    /** The architecture named so in general.architecture, or null. */
    public static GgufArchitecture of(String ggufName) {
        for (GgufArchitecture a : values()) if (a.ggufName.equals(ggufName)) return a;
        return null;
    }

    static String supported() {
        return Arrays.stream(values()).map(a -> a.ggufName).collect(Collectors.joining(", "));
    }

    /** The Hugging Face name of a GGUF tensor of this architecture, or null when it has none. */
    String hfName(String gguf) {
        return names.hfName(gguf);
    }

    /**
     * The architecture convert_hf_to_gguf.py writes a Hugging Face model class as (Mistral's as
     * llama), or null.
     */
    public static GgufArchitecture ofHf(String hfArchitecture) {
        if (hfArchitecture.equals("MistralForCausalLM")) return LLAMA;
        for (GgufArchitecture a : values()) if (a.hfArchitecture.equals(hfArchitecture)) return a;
        return null;
    }

    /** The GGUF name of a Hugging Face tensor name of this architecture, or null. */
    public String ggufName(String hf) {
        return names.ggufName(hf);
    }

    /** How convert_hf_to_gguf.py names the tensors of each checkpoint layout (gguf-py's TensorNameMap). */
    enum Names {
        LLAMA("model.embed_tokens", "model.norm", "model.layers.", Map.ofEntries(
                Map.entry("attn_norm", "input_layernorm"), Map.entry("ffn_norm", "post_attention_layernorm"),
                Map.entry("attn_q", "self_attn.q_proj"), Map.entry("attn_k", "self_attn.k_proj"), Map.entry("attn_v", "self_attn.v_proj"),
                Map.entry("attn_output", "self_attn.o_proj"), Map.entry("attn_q_norm", "self_attn.q_norm"), Map.entry("attn_k_norm", "self_attn.k_norm"),
                Map.entry("ffn_gate", "mlp.gate_proj"), Map.entry("ffn_up", "mlp.up_proj"), Map.entry("ffn_down", "mlp.down_proj"))),
        /** Gemma-2's four norms: ffn_norm is the one before the MLP, and the attention's output has its own. */
        GEMMA2("model.embed_tokens", "model.norm", "model.layers.", Map.ofEntries(
                Map.entry("attn_norm", "input_layernorm"), Map.entry("post_attention_norm", "post_attention_layernorm"),
                Map.entry("ffn_norm", "pre_feedforward_layernorm"), Map.entry("post_ffw_norm", "post_feedforward_layernorm"),
                Map.entry("attn_q", "self_attn.q_proj"), Map.entry("attn_k", "self_attn.k_proj"), Map.entry("attn_v", "self_attn.v_proj"),
                Map.entry("attn_output", "self_attn.o_proj"),
                Map.entry("ffn_gate", "mlp.gate_proj"), Map.entry("ffn_up", "mlp.up_proj"), Map.entry("ffn_down", "mlp.down_proj"))),
        /** Phi-3's fused projections keep their Hugging Face rows: attn_qkv is [q | k | v], ffn_up is [gate | up]. */
        PHI3("model.embed_tokens", "model.norm", "model.layers.", Map.ofEntries(
                Map.entry("attn_norm", "input_layernorm"), Map.entry("ffn_norm", "post_attention_layernorm"),
                Map.entry("attn_qkv", "self_attn.qkv_proj"), Map.entry("attn_output", "self_attn.o_proj"),
                Map.entry("ffn_up", "mlp.gate_up_proj"), Map.entry("ffn_down", "mlp.down_proj"))),
        /** Qwen-1: c_attn is [q | k | v]; w2 (through SiLU) is the gate, w1 the up projection. */
        QWEN1("transformer.wte", "transformer.ln_f", "transformer.h.", Map.ofEntries(
                Map.entry("attn_norm", "ln_1"), Map.entry("ffn_norm", "ln_2"),
                Map.entry("attn_qkv", "attn.c_attn"), Map.entry("attn_output", "attn.c_proj"),
                Map.entry("ffn_gate", "mlp.w2"), Map.entry("ffn_up", "mlp.w1"), Map.entry("ffn_down", "mlp.c_proj")));

        private static final Pattern GGUF_BLOCK = Pattern.compile("blk\\.(\\d{1,4})\\.(\\w+)\\.(weight|bias)");
        private final String embed, finalNorm, layerPrefix;
        private final Map<String, String> layer;          // GGUF name in a block -> Hugging Face name in a layer
        private final Map<String, String> layerInverse;

        Names(String embed, String finalNorm, String layerPrefix, Map<String, String> layer) {
            this.embed = embed;
            this.finalNorm = finalNorm;
            this.layerPrefix = layerPrefix;
            this.layer = layer;
            this.layerInverse = layer.entrySet().stream().collect(Collectors.toMap(Map.Entry::getValue, Map.Entry::getKey));
        }

        String hfName(String gguf) {
            switch (gguf) {
                case "token_embd.weight": return embed + ".weight";
                case "output_norm.weight": return finalNorm + ".weight";
                case "output.weight": return "lm_head.weight";
                default:
            }
            Matcher m = GGUF_BLOCK.matcher(gguf);
            if (!m.matches() || !layer.containsKey(m.group(2))) return null;
            return layerPrefix + Integer.parseInt(m.group(1)) + "." + layer.get(m.group(2)) + "." + m.group(3);
        }

        String ggufName(String hf) {
            if (hf.equals(embed + ".weight")) return "token_embd.weight";
            if (hf.equals(finalNorm + ".weight")) return "output_norm.weight";
            if (hf.equals("lm_head.weight")) return "output.weight";
            if (!hf.startsWith(layerPrefix)) return null;
            String rest = hf.substring(layerPrefix.length());
            int dot = rest.indexOf('.'), last = rest.lastIndexOf('.');
            if (dot < 0 || last <= dot) return null;
            String gguf = layerInverse.get(rest.substring(dot + 1, last));
            return gguf == null ? null : "blk." + rest.substring(0, dot) + "." + gguf + rest.substring(last);
        }
    }
}
