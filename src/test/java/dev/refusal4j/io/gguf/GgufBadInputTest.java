package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.chat.ChatTemplate;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.ModelPath;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.tokenizer.Tokenizer;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF model that cannot run is one line naming the file (the part at fault of a split model)
 * and what is wrong: a missing or unexpected tensor, a wrong shape, a type refusal4j does not read,
 * a missing or mismatched split part, an architecture or rope scaling it does not run. The files
 * are a 1-layer llama built here, valid until each test breaks one thing.
 */
class GgufBadInputTest {
    @TempDir
    Path tmp;

    record Tensor(GgmlType type, byte[] data, long[] ne) {}

    /** A valid 1-layer llama: d 32, 2 heads of 16, ff 64, vocabulary 32, F32 weights. */
    static final class Model {
        final Map<String, Object> meta = new LinkedHashMap<>();
        final Map<String, Tensor> tensors = new LinkedHashMap<>();

        Model() {
            meta.put("general.architecture", "llama");
            meta.put("llama.block_count", 1L);
            meta.put("llama.embedding_length", 32L);
            meta.put("llama.feed_forward_length", 64L);
            meta.put("llama.attention.head_count", 2L);
            meta.put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
            meta.put("llama.context_length", 128L);
            f32("token_embd.weight", 32, 32);
            f32("output_norm.weight", 32);
            f32("output.weight", 32, 32);
            for (String t : new String[] {"attn_q", "attn_k", "attn_v", "attn_output"}) f32("blk.0." + t + ".weight", 32, 32);
            f32("blk.0.attn_norm.weight", 32);
            f32("blk.0.ffn_norm.weight", 32);
            f32("blk.0.ffn_gate.weight", 32, 64);
            f32("blk.0.ffn_up.weight", 32, 64);
            f32("blk.0.ffn_down.weight", 64, 32);
        }

        Model f32(String name, long... ne) {
            long n = 1;
            for (long d : ne) n *= d;
            byte[] b = new byte[(int) n * 4];
            Random r = new Random(name.hashCode());
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) bb.putFloat((float) (r.nextGaussian() * 0.1 + (ne.length == 1 ? 1 : 0)));
            tensors.put(name, new Tensor(GgmlType.F32, b, ne));
            return this;
        }

        Model with(Consumer<Model> edit) {
            edit.accept(this);
            return this;
        }

        GgufWriter writer(Map<String, Object> keys, Iterable<String> names) {
            GgufWriter w = new GgufWriter();
            keys.forEach((k, v) -> {
                if (v instanceof String s) w.putString(k, s);
                else if (v instanceof Long l) w.putUInt32(k, l);
                else if (v instanceof Integer i) w.putUInt16(k, i);
                else w.putFloat32(k, (Float) v);
            });
            for (String n : names) w.addTensor(n, tensors.get(n).type, tensors.get(n).data, tensors.get(n).ne);
            return w;
        }

        Path write(Path file) throws Exception {
            writer(meta, tensors.keySet()).write(file);
            return file;
        }

        /** gguf-split's parts: metadata in the first, the tensors shared out in order. */
        Path writeSplit(Path dir, String base, int parts, Consumer<Map<Integer, Map<String, Object>>> editKeys) throws Exception {
            java.util.List<String> names = new java.util.ArrayList<>(tensors.keySet());
            Map<Integer, Map<String, Object>> keys = new LinkedHashMap<>();
            for (int p = 0; p < parts; p++) {
                Map<String, Object> k = new LinkedHashMap<>(p == 0 ? meta : Map.of());
                k.put("split.no", p);
                k.put("split.count", parts);
                keys.put(p, k);
            }
            editKeys.accept(keys);
            int per = (names.size() + parts - 1) / parts;
            for (int p = 0; p < parts; p++) {
                writer(keys.get(p), names.subList(p * per, Math.min(names.size(), (p + 1) * per)))
                        .write(dir.resolve(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", base, p + 1, parts)));
            }
            return dir.resolve(String.format(Locale.ROOT, "%s-00001-of-%05d.gguf", base, parts));
        }
    }

    /** The exception is one line that starts with {@code file} and contains every {@code part}. */
    static void oneLine(ThrowableAssert.ThrowingCallable load, Path file, String... parts) {
        var t = assertThatThrownBy(load).isInstanceOf(ModelFormatException.class).hasMessageStartingWith(file + ": ");
        for (String p : parts) t.hasMessageContaining(p);
        t.satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void theValidModelRuns() throws Exception {
        Path f = new Model().write(tmp.resolve("ok.gguf"));
        try (Transformer m = Transformer.load(f)) {
            assertThat(m.forward(Forward.of(new int[] {1, 2, 3}))).hasSize(3 * 32).doesNotContain(Float.NaN);
            assertThat(m.config.architecture).isEqualTo("LlamaForCausalLM");
            assertThat(m.config.tieEmbeddings).isFalse();
        }
    }

    @Test
    void aMissingTensorIsNamedAsTheFileNamesIt() throws Exception {
        Path f = new Model().with(m -> m.tensors.remove("blk.0.ffn_up.weight")).write(tmp.resolve("missing.gguf"));
        oneLine(() -> Transformer.load(f), f, "tensor 'blk.0.ffn_up.weight' (Hugging Face's model.layers.0.mlp.up_proj.weight) is missing");
    }

    @Test
    void aWrongShapeIsNamedWithWhatTheMetadataImplies() throws Exception {
        Path f = new Model().f32("blk.0.attn_k.weight", 32, 48).write(tmp.resolve("shape.gguf"));
        oneLine(() -> Transformer.load(f), f, "tensor 'blk.0.attn_k.weight' is f32[32, 48] but the model's metadata implies [32, 32]");
    }

    @Test
    void aWeightOfATypeRefusal4jDoesNotReadIsNamedWithTheTypesItReads() throws Exception {
        Path f = new Model().with(m -> m.tensors.put("blk.0.ffn_down.weight", new Tensor(GgmlType.I8, new byte[64 * 32], new long[] {64, 32})))
                .write(tmp.resolve("i8.gguf"));
        oneLine(() -> Transformer.load(f), f, "tensor 'blk.0.ffn_down.weight' is i8, which refusal4j cannot dequantize", "q8_0", "q4_K");
        Path iq = new Model().with(m -> m.tensors.put("blk.0.ffn_gate.weight", new Tensor(GgmlType.IQ2_XXS, new byte[66 * 32 / 4], new long[] {256, 8})))
                .write(tmp.resolve("iq.gguf"));
        oneLine(() -> Transformer.load(iq), iq, "tensor 'blk.0.ffn_gate.weight' is iq2_xxs[256, 8]"); // the shape is checked first
    }

    @Test
    void tensorsThatAreNoPartOfTheModelAreNamed() throws Exception {
        Path stray = new Model().f32("blk.0.attn_qkv.weight", 32, 96).write(tmp.resolve("stray.gguf"));
        oneLine(() -> Transformer.load(stray), stray, "unexpected tensor 'blk.0.attn_qkv.weight' f32[32, 96] for a llama model");
        Path unused = new Model().f32("blk.0.attn_q_norm.weight", 16).write(tmp.resolve("unused.gguf"));
        oneLine(() -> Transformer.load(unused), unused,
                "unexpected tensor 'blk.0.attn_q_norm.weight' f32[16] for LlamaForCausalLM with 1 layers (is general.architecture right?)");
        Path layer = new Model().f32("blk.7.attn_norm.weight", 32).write(tmp.resolve("layer.gguf"));
        oneLine(() -> Transformer.load(layer), layer, "unexpected tensor 'blk.7.attn_norm.weight'");
    }

    @Test
    void architecturesAndRopeScalingItDoesNotRunAreNamed() throws Exception {
        Path mamba = new Model().with(m -> m.meta.put("general.architecture", "mamba")).write(tmp.resolve("mamba.gguf"));
        oneLine(() -> Transformer.load(mamba), mamba, "general.architecture 'mamba' is not supported (supported: llama, qwen2, qwen3, gemma, gemma2, phi3, qwen)");
        Path none = new Model().with(m -> m.meta.remove("general.architecture")).write(tmp.resolve("none.gguf"));
        oneLine(() -> Transformer.load(none), none, "no general.architecture");
        Path vocab = Shared.path("tokenizers", "llamacpp", "ggml-vocab-llama-spm.gguf");
        oneLine(() -> Transformer.load(vocab), vocab, "no tensors: a vocabulary-only GGUF, not a model");
        Path linear = new Model().with(m -> m.meta.put("llama.rope.scaling.type", "linear")).write(tmp.resolve("linear.gguf"));
        oneLine(() -> Transformer.load(linear), linear, "llama.rope.scaling.type 'linear' is not supported");
        Path longrope = new Model().with(m -> {
            m.meta.put("general.architecture", "phi3");
            var rest = new LinkedHashMap<>(m.tensors);
            m.tensors.clear();
            m.f32("rope_factors_long.weight", 8); // Phi-3-128k's, first in the file
            m.tensors.putAll(rest);
        }).write(tmp.resolve("longrope.gguf"));
        oneLine(() -> Transformer.load(longrope), longrope, "tensor 'rope_factors_long.weight': long-context rope scaling (LongRoPE factors) is not supported");
        Path partial = new Model().with(m -> m.meta.put("llama.rope.dimension_count", 8L)).write(tmp.resolve("partial.gguf"));
        oneLine(() -> Transformer.load(partial), partial, "llama.rope.dimension_count 8 rotates part of a head of 16");
    }

    @Test
    void splitPartsAreOpenedTogetherAndAMissingOrWrongPartIsNamed() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("split"));
        Path first = new Model().writeSplit(dir, "m", 3, k -> { });
        Path third = dir.resolve("m-00003-of-00003.gguf");
        float[] whole;
        try (Transformer m = Transformer.load(new Model().write(tmp.resolve("whole.gguf")))) {
            whole = m.forward(Forward.of(new int[] {4, 5}));
        }
        for (Path part : new Path[] {first, dir.resolve("m-00002-of-00003.gguf"), third}) {
            assertThat(ModelPath.of(part).ggufParts()).containsExactly(first, dir.resolve("m-00002-of-00003.gguf"), third);
            try (Transformer m = Transformer.load(part)) {
                assertThat(m.forward(Forward.of(new int[] {4, 5}))).containsExactly(whole);
            }
        }
        Files.delete(third);
        oneLine(() -> Transformer.load(first), third, "missing: part 3 of the 3 files of the split GGUF model m-00001-of-00003.gguf");

        Path wrongNo = new Model().writeSplit(Files.createDirectories(tmp.resolve("no")), "m", 2, k -> k.get(1).put("split.no", 0));
        oneLine(() -> Transformer.load(wrongNo), wrongNo.resolveSibling("m-00002-of-00002.gguf"), "split.no is 0, but this is part 2 of 2");
        Path wrongCount = new Model().writeSplit(Files.createDirectories(tmp.resolve("count")), "m", 2, k -> k.get(0).put("split.count", 3));
        oneLine(() -> Transformer.load(wrongCount), wrongCount, "split.count says 3 parts; the file names say 2");
        Path renamed = Files.copy(new Model().writeSplit(Files.createDirectories(tmp.resolve("renamed")), "m", 2, k -> { }), tmp.resolve("renamed.gguf"));
        oneLine(() -> Transformer.load(renamed), renamed, "part 1 of a model split into 2 files (split.count), but its name is not NAME-00001-of-00002.gguf");
        Path noPart = tmp.resolve("m-00004-of-00003.gguf");
        Files.copy(renamed, noPart);
        oneLine(() -> Transformer.load(noPart), noPart, "part 4 of 3");
    }

    @Test
    void aFolderHoldingOneGgufModelIsThatModelAndOneHoldingSeveralSaysWhichToGive() throws Exception {
        Path one = Files.createDirectories(tmp.resolve("one"));
        new Model().write(one.resolve("model-Q8_0.gguf"));
        Files.writeString(one.resolve("mmproj-model-f16.gguf"), "not a model"); // a multimodal projector is no model
        try (Transformer m = Transformer.load(one)) {
            assertThat(m.config.layers).isEqualTo(1);
        }
        assertThat(ModelConfig.load(one).architecture).isEqualTo("LlamaForCausalLM");
        Path two = Files.createDirectories(tmp.resolve("two"));
        new Model().write(two.resolve("a.gguf"));
        new Model().write(two.resolve("b.gguf"));
        oneLine(() -> Transformer.load(two), two, "no config.json, and 2 GGUF models (a.gguf, b.gguf): give one as " + two.resolve("a.gguf"));
    }

    @Test
    void commandsThatWriteSafetensorsRefuseAGgufModel() throws Exception {
        Path f = new Model().write(tmp.resolve("m.gguf"));
        oneLine(() -> ModelFiles.open(f), f, "a GGUF model: this needs the model's Hugging Face folder");
    }

    @Test
    void withoutAVocabularyOrTemplateTheTokenizerAndTemplateSaySo() throws Exception {
        Path f = new Model().write(tmp.resolve("bare.gguf"));
        assertThatThrownBy(() -> Tokenizer.load(f)).hasMessageStartingWith(f + ": ").hasMessageContaining("tokenizer.ggml.model");
        assertThatThrownBy(() -> ChatTemplate.load(f)).hasMessage(f + ": no tokenizer.chat_template in the GGUF metadata; give a template with --template FILE");
    }
}
