package dev.refusal4j.organism;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.organism.nn.Params;
import dev.refusal4j.organism.nn.Shape;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes trained parameters as a Hugging Face {@code LlamaForCausalLM} directory:
 * {@code config.json} and {@code model.safetensors} (F32, HF tensor names; no lm_head when tied).
 * Tokenizer files are written by the tokenizer's own exporter.
 */
public final class ModelExport {
    private ModelExport() {}

    /**
     * @param bosId  id of the beginning-of-sequence token, or -1 when the vocabulary has none
     * @param eosIds ids that end generation (the first is eos_token_id when there is one)
     */
    public static void write(Path dir, Params p, int bosId, int[] eosIds) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config(p.shape, bosId, eosIds));
        List<SafetensorsWriter.Source> tensors = new ArrayList<>();
        for (Params.Tensor t : p.tensors()) tensors.add(SafetensorsWriter.f32(t.name(), p.copyOf(t), t.hfShape()));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    }

    static String config(Shape s, int bosId, int[] eosIds) throws IOException {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", s.hidden());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", s.heads());
        c.put("num_key_value_heads", s.kvHeads());
        c.put("head_dim", s.headDim());
        c.put("intermediate_size", s.intermediate());
        c.put("vocab_size", s.vocab());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", s.eps());
        c.put("rope_theta", s.ropeTheta());
        c.putNull("rope_scaling");
        c.put("max_position_embeddings", s.context());
        c.put("tie_word_embeddings", s.tied());
        c.put("attention_bias", false);
        c.put("attention_dropout", 0.0);
        c.put("mlp_bias", false);
        c.put("pretraining_tp", 1);
        c.put("initializer_range", 0.02);
        c.put("use_cache", true);
        c.put("torch_dtype", "float32");
        if (bosId >= 0) c.put("bos_token_id", bosId);
        else c.putNull("bos_token_id");
        if (eosIds.length == 1) c.put("eos_token_id", eosIds[0]);
        else {
            ArrayNode a = c.putArray("eos_token_id");
            for (int e : eosIds) a.add(e);
        }
        return Json.MAPPER.writeValueAsString(c) + "\n";
    }
}
