package dev.refusal4j.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.io.gguf.MappedGguf;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * convert's tensor names, written out here from gguf-py's TensorNameMap (llama.cpp's names for
 * each Hugging Face tensor), independently of the table the converter and the loader share: the
 * GGUF of a golden model (F32, converted as F32) holds exactly these tensors for layer 0 and the
 * model's ends, and each holds its Hugging Face tensor's bytes (the ones the converter changes —
 * llama's permuted q/k, Gemma's 1 + w norms, Gemma-2's scaled q — aside). A swap that the loader
 * undid (gate for up, a norm for another) would pass the parity tests and fail here.
 */
class GgufConverterNamesTest {
    @TempDir
    Path tmp;

    static Map<String, String> expected(String model) {
        Map<String, String> m = new TreeMap<>();
        String l = "model.layers.0.";
        switch (model) {
            case "qwen1" -> {
                m.put("token_embd.weight", "transformer.wte.weight");
                m.put("output_norm.weight", "transformer.ln_f.weight");
                m.put("output.weight", "lm_head.weight");
                m.put("blk.0.attn_norm.weight", "transformer.h.0.ln_1.weight");
                m.put("blk.0.ffn_norm.weight", "transformer.h.0.ln_2.weight");
                m.put("blk.0.attn_qkv.weight", "transformer.h.0.attn.c_attn.weight");
                m.put("blk.0.attn_qkv.bias", "transformer.h.0.attn.c_attn.bias");
                m.put("blk.0.attn_output.weight", "transformer.h.0.attn.c_proj.weight");
                m.put("blk.0.ffn_up.weight", "transformer.h.0.mlp.w1.weight");
                m.put("blk.0.ffn_gate.weight", "transformer.h.0.mlp.w2.weight");
                m.put("blk.0.ffn_down.weight", "transformer.h.0.mlp.c_proj.weight");
                return m;
            }
            case "phi3" -> {
                m.put("blk.0.attn_qkv.weight", l + "self_attn.qkv_proj.weight");
                m.put("blk.0.ffn_up.weight", l + "mlp.gate_up_proj.weight");
            }
            default -> {
                m.put("blk.0.attn_q.weight", l + "self_attn.q_proj.weight");
                m.put("blk.0.attn_k.weight", l + "self_attn.k_proj.weight");
                m.put("blk.0.attn_v.weight", l + "self_attn.v_proj.weight");
                m.put("blk.0.ffn_gate.weight", l + "mlp.gate_proj.weight");
                m.put("blk.0.ffn_up.weight", l + "mlp.up_proj.weight");
            }
        }
        m.put("token_embd.weight", "model.embed_tokens.weight");
        m.put("output_norm.weight", "model.norm.weight");
        if (!model.startsWith("gemma") && !model.equals("qwen3")) m.put("output.weight", "lm_head.weight");
        m.put("blk.0.attn_norm.weight", l + "input_layernorm.weight");
        m.put("blk.0.attn_output.weight", l + "self_attn.o_proj.weight");
        m.put("blk.0.ffn_down.weight", l + "mlp.down_proj.weight");
        if (model.equals("gemma2")) {
            m.put("blk.0.post_attention_norm.weight", l + "post_attention_layernorm.weight");
            m.put("blk.0.ffn_norm.weight", l + "pre_feedforward_layernorm.weight");
            m.put("blk.0.post_ffw_norm.weight", l + "post_feedforward_layernorm.weight");
        } else {
            m.put("blk.0.ffn_norm.weight", l + "post_attention_layernorm.weight");
        }
        if (model.equals("qwen2")) for (String p : new String[] {"q", "k", "v"}) m.put("blk.0.attn_" + p + ".bias", l + "self_attn." + p + "_proj.bias");
        if (model.equals("qwen3")) {
            m.put("blk.0.attn_q_norm.weight", l + "self_attn.q_norm.weight");
            m.put("blk.0.attn_k_norm.weight", l + "self_attn.k_norm.weight");
        }
        return m;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "qwen2", "qwen3", "gemma2", "phi3", "qwen1"})
    void theGgufHoldsLlamaCppsNamesForTheHuggingFaceTensors(String model) throws IOException {
        Path hf = Shared.path("golden", model);
        Path gguf = GgufConverter.of(hf).type(GgmlType.F32).write(tmp.resolve(model + ".gguf"));
        Map<String, String> want = expected(model);
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(gguf, arena);
            SafetensorsFile st = SafetensorsFile.open(hf.resolve("model.safetensors"), arena);
            assertThat(g.tensors().stream().map(t -> t.name()).filter(n -> !n.startsWith("blk.") || n.startsWith("blk.0.")).sorted().toList())
                    .isEqualTo(want.keySet().stream().toList());
            for (var e : want.entrySet()) {
                String hfName = e.getValue();
                boolean changed = model.equals("llama") && (hfName.contains("q_proj") || hfName.contains("k_proj"))
                        || model.startsWith("gemma") && (hfName.endsWith("norm.weight") || hfName.contains("q_proj"));
                if (changed) continue;
                byte[] x = st.segment(st.tensors().get(hfName)).toArray(ValueLayout.JAVA_BYTE);
                assertThat(g.data(g.tensor(e.getKey())).toArray(ValueLayout.JAVA_BYTE)).as(e.getKey() + " holds " + hfName).isEqualTo(x);
            }
        }
    }
}
