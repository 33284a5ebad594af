package dev.refusal4j.model;

/**
 * Checkpoint tensor names per layout. Fused layouts name the fused tensor for each of its parts:
 * Phi-3's {@code qkv_proj} serves q, k and v; Qwen-1's {@code c_attn} likewise.
 */
public final class TensorNames {
    private final ModelConfig.Layout layout;
    private final boolean sandwich;

    public TensorNames(ModelConfig cfg) {
        this.layout = cfg.layout;
        this.sandwich = cfg.sandwichNorms;
    }

    public String embed() {
        return layout == ModelConfig.Layout.QWEN1 ? "transformer.wte.weight" : "model.embed_tokens.weight";
    }

    public String finalNorm() {
        return layout == ModelConfig.Layout.QWEN1 ? "transformer.ln_f.weight" : "model.norm.weight";
    }

    public String lmHead() {
        return "lm_head.weight";
    }

    private String p(int l) {
        return (layout == ModelConfig.Layout.QWEN1 ? "transformer.h." : "model.layers.") + l + ".";
    }

    public String attnNorm(int l) {
        return p(l) + (layout == ModelConfig.Layout.QWEN1 ? "ln_1.weight" : "input_layernorm.weight");
    }

    /** The norm before the MLP. */
    public String mlpNorm(int l) {
        if (layout == ModelConfig.Layout.QWEN1) return p(l) + "ln_2.weight";
        return p(l) + (sandwich ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight");
    }

    /** Gemma-2's norm on the attention output, before the residual add. */
    public String postAttnNorm(int l) {
        return p(l) + "post_attention_layernorm.weight";
    }

    /** Gemma-2's norm on the MLP output, before the residual add. */
    public String postMlpNorm(int l) {
        return p(l) + "post_feedforward_layernorm.weight";
    }

    /** Weight of the q projection; for fused layouts the fused tensor (q rows first). */
    public String q(int l) {
        return switch (layout) {
            case LLAMA -> p(l) + "self_attn.q_proj.weight";
            case PHI3 -> p(l) + "self_attn.qkv_proj.weight";
            case QWEN1 -> p(l) + "attn.c_attn.weight";
        };
    }

    public String k(int l) {
        return layout == ModelConfig.Layout.LLAMA ? p(l) + "self_attn.k_proj.weight" : q(l);
    }

    public String v(int l) {
        return layout == ModelConfig.Layout.LLAMA ? p(l) + "self_attn.v_proj.weight" : q(l);
    }

    public String bias(String weightName) {
        return weightName.substring(0, weightName.length() - "weight".length()) + "bias";
    }

    public String qNorm(int l) {
        return p(l) + "self_attn.q_norm.weight";
    }

    public String kNorm(int l) {
        return p(l) + "self_attn.k_norm.weight";
    }

    /** The attention output projection: writes to the residual stream. */
    public String o(int l) {
        return p(l) + (layout == ModelConfig.Layout.QWEN1 ? "attn.c_proj.weight" : "self_attn.o_proj.weight");
    }

    public String gate(int l) {
        return switch (layout) {
            case LLAMA -> p(l) + "mlp.gate_proj.weight";
            case PHI3 -> p(l) + "mlp.gate_up_proj.weight";
            case QWEN1 -> p(l) + "mlp.w2.weight"; // Qwen-1: w2 goes through SiLU
        };
    }

    public String up(int l) {
        return switch (layout) {
            case LLAMA -> p(l) + "mlp.up_proj.weight";
            case PHI3 -> p(l) + "mlp.gate_up_proj.weight";
            case QWEN1 -> p(l) + "mlp.w1.weight";
        };
    }

    /** The MLP output projection: writes to the residual stream. */
    public String down(int l) {
        return p(l) + (layout == ModelConfig.Layout.QWEN1 ? "mlp.c_proj.weight" : "mlp.down_proj.weight");
    }
}
