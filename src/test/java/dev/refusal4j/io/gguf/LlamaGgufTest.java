package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Shared;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A golden llama model (../shared/golden) converted to GGUF as llama.cpp's convert_hf_to_gguf.py
 * does — its metadata keys, tensor names and the q/k row permutation — then read back with
 * {@link LlamaGguf}: every tensor equals the Hugging Face one bit for bit, the config parses to the
 * same model, and the forward pass matches the golden logits.
 */
class LlamaGgufTest {
    @TempDir
    Path tmp;

    /** The HF checkpoint's tensors as F32. */
    private static Map<String, float[]> hfTensors(Path dir, Map<String, long[]> shapes) throws Exception {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"), arena);
            for (TensorInfo t : f.tensors().values()) {
                assertThat(t.dtype()).isEqualTo("F32");
                out.put(t.name(), f.segment(t).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN)));
                shapes.put(t.name(), t.shape());
            }
        }
        return out;
    }

    /**
     * convert_hf_to_gguf.py's {@code LlamaModel.permute}: {@code w.reshape(n_head, 2, rows // n_head // 2, cols)
     * .swapaxes(1, 2).reshape(rows, cols)}, written as the order in which numpy reads the swapped array.
     */
    static float[] permute(float[] w, long rows, int nHead) {
        int cols = (int) (w.length / rows), half = (int) (rows / nHead / 2);
        float[] out = new float[w.length];
        int next = 0;
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {          // swapped array index [h, i, j] = original [h, j, i]
                    int from = (h * 2 * half + j * half + i) * cols;
                    System.arraycopy(w, from, out, next, cols);
                    next += cols;
                }
            }
        }
        return out;
    }

    /** The GGUF name convert_hf_to_gguf.py gives an HF llama tensor (gguf-py's tensor map). */
    static String ggufName(String hf) {
        return switch (hf) {
            case "model.embed_tokens.weight" -> "token_embd.weight";
            case "model.norm.weight" -> "output_norm.weight";
            case "lm_head.weight" -> "output.weight";
            default -> hf.replace("model.layers.", "blk.")
                    .replace(".input_layernorm.", ".attn_norm.").replace(".post_attention_layernorm.", ".ffn_norm.")
                    .replace(".self_attn.q_proj.", ".attn_q.").replace(".self_attn.k_proj.", ".attn_k.")
                    .replace(".self_attn.v_proj.", ".attn_v.").replace(".self_attn.o_proj.", ".attn_output.")
                    .replace(".mlp.gate_proj.", ".ffn_gate.").replace(".mlp.up_proj.", ".ffn_up.").replace(".mlp.down_proj.", ".ffn_down.");
        };
    }

    private static Path convert(Path hfDir, Map<String, float[]> hf, Map<String, long[]> shapes, Path out) throws Exception {
        JsonNode c = Json.MAPPER.readTree(hfDir.resolve("config.json").toFile());
        int heads = c.get("num_attention_heads").asInt(), kvHeads = c.get("num_key_value_heads").asInt();
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", hfDir.getFileName().toString())
                .putUInt32("llama.context_length", c.get("max_position_embeddings").asLong())
                .putUInt32("llama.embedding_length", c.get("hidden_size").asLong())
                .putUInt32("llama.feed_forward_length", c.get("intermediate_size").asLong())
                .putUInt32("llama.block_count", c.get("num_hidden_layers").asLong())
                .putUInt32("llama.attention.head_count", heads)
                .putUInt32("llama.attention.head_count_kv", kvHeads)
                .putFloat32("llama.rope.freq_base", (float) c.get("rope_theta").asDouble())
                .putFloat32("llama.attention.layer_norm_rms_epsilon", (float) c.get("rms_norm_eps").asDouble())
                .putUInt32("llama.attention.key_length", c.get("head_dim").asLong())
                .putUInt32("llama.attention.value_length", c.get("head_dim").asLong())
                .putUInt32("llama.rope.dimension_count", c.get("head_dim").asLong())
                .putUInt32("llama.vocab_size", c.get("vocab_size").asLong())
                .putUInt32("tokenizer.ggml.bos_token_id", c.get("bos_token_id").asLong())
                .putUInt32("tokenizer.ggml.eos_token_id", c.get("eos_token_id").asLong());
        for (var e : hf.entrySet()) {
            String name = e.getKey();
            long[] shape = shapes.get(name);
            float[] data = e.getValue();
            if (name.contains(".q_proj.")) data = permute(data, shape[0], heads);
            if (name.contains(".k_proj.")) data = permute(data, shape[0], kvHeads);
            long[] ne = new long[shape.length]; // GGUF: innermost first
            for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
            w.addTensorF32(ggufName(name), data, ne);
        }
        w.write(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "llama-gqa"})
    void aConvertedGoldenModelReadsBackAsItsCheckpoint(String model) throws Exception {
        Path hfDir = Shared.path("golden", model);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> hf = hfTensors(hfDir, shapes);
        Path gguf = convert(hfDir, hf, shapes, tmp.resolve(model + ".gguf"));

        Path back = Files.createDirectories(tmp.resolve(model));
        try (Arena arena = Arena.ofConfined()) {
            LlamaGguf l = new LlamaGguf(GgufReader.open(gguf, arena));
            assertThat(l.tensors().keySet()).containsExactlyInAnyOrderElementsOf(hf.keySet());
            List<SafetensorsWriter.Source> sources = new ArrayList<>();
            for (String name : hf.keySet()) {
                assertThat(l.shape(name)).as(name).containsExactly(shapes.get(name));
                float[] x = l.tensor(name);
                assertThat(x).as(name + ", bit for bit").usingElementComparator((a, b) -> Integer.compare(Float.floatToRawIntBits(a), Float.floatToRawIntBits(b)))
                        .containsExactly(hf.get(name));
                sources.add(SafetensorsWriter.f32(name, x, l.shape(name)));
            }
            SafetensorsWriter.write(back.resolve("model.safetensors"), sources, Map.of());
            Json.MAPPER.writeValue(back.resolve("config.json").toFile(), l.config());
        }
        ModelConfig want = ModelConfig.load(hfDir), got = ModelConfig.load(back);
        assertThat(got.hidden).isEqualTo(want.hidden);
        assertThat(got.layers).isEqualTo(want.layers);
        assertThat(got.heads).isEqualTo(want.heads);
        assertThat(got.kvHeads).isEqualTo(want.kvHeads);
        assertThat(got.headDim).isEqualTo(want.headDim);
        assertThat(got.intermediate).isEqualTo(want.intermediate);
        assertThat(got.vocab).isEqualTo(want.vocab);
        assertThat(got.eps).isEqualTo(want.eps);
        assertThat(got.rope).isEqualTo(want.rope);
        assertThat(got.tieEmbeddings).isEqualTo(want.tieEmbeddings);
        assertThat(got.maxPositions).isEqualTo(want.maxPositions);
        assertThat(got.bosId).isEqualTo(want.bosId);
        assertThat(got.eosIds).containsExactly(want.eosIds);

        Map<String, Npz.Array> ref = Npz.read(hfDir.resolve("expected.npz"));
        float[] idsF = ref.get("s2_ids").data();
        int[] ids = new int[idsF.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) idsF[i];
        try (Transformer m = Transformer.load(back)) {
            float[] logits = m.forward(Forward.of(ids));
            float[] expected = ref.get("s2_logits").data();
            double maxDiff = 0, maxRef = 0;
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs((double) logits[i] - expected[i]));
                maxRef = Math.max(maxRef, Math.abs(expected[i]));
            }
            assertThat(maxDiff / maxRef).as(model + " logits, max |diff| / max |ref|").isLessThanOrEqualTo(1e-5);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "rope_freqs", "stray"})
    void whatItCannotLoadIsNamed(String what) throws Exception {
        GgufWriter w = new GgufWriter().putString("general.architecture", what.equals("qwen2") ? "qwen2" : "llama")
                .putUInt32("llama.block_count", 1).putUInt32("llama.attention.head_count", 2)
                .putUInt32("llama.embedding_length", 8);
        if (what.equals("rope_freqs")) w.addTensorF32("rope_freqs.weight", new float[2], 2);
        if (what.equals("stray")) w.addTensorF32("blk.0.attn_qkv.weight", new float[8], 8);
        Path f = tmp.resolve(what + ".gguf");
        w.write(f);
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(f, arena);
            assertThatThrownBy(() -> new LlamaGguf(g)).isInstanceOf(GgufException.class).hasMessageStartingWith(f + ": ")
                    .hasMessageContaining(switch (what) {
                        case "qwen2" -> "general.architecture is 'qwen2'; only 'llama' files can be loaded so far";
                        case "rope_freqs" -> "rope_freqs.weight (Llama 3.1's rope scaling, stored as factors) is not supported yet";
                        default -> "unexpected tensor 'blk.0.attn_qkv.weight' for a llama model";
                    });
        }
    }
}
