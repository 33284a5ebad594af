package dev.refusal4j.export;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.io.gguf.GgufTensorInfo;
import dev.refusal4j.io.gguf.MappedGguf;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Reference64;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code abliterate} on a quantized GGUF: the golden models (../shared/golden, all but mistral, which
 * llama.cpp runs without its window) converted to Q8_0, and a random llama model with rows of 256
 * (hidden 256, MLP 512) converted to Q4_K and to Q6_K. For each, with a seeded random direction:
 * <ul>
 *   <li>written with {@code --outtype f32} (the edit, rounded once to float32), the logits equal
 *       runtime ablation ({@link Interventions#ablate}) on the dequantized input within float32
 *       parity, 1e-4 of the largest logit: the right tensors, rows and orientation are edited;</li>
 *   <li>re-quantized to the input's types, the logits differ from runtime ablation by the
 *       re-quantization, which is measured in float64 ({@link Reference64}: the re-quantized model
 *       against the float32 one); the test asserts the measured difference is within that float64
 *       re-quantization error plus the float32 parity, and prints both;</li>
 *   <li>every tensor that is not edited is the input's bytes, the edited ones keep their type,
 *       every metadata key and value of the input is kept and refusal4j.* keys are added, a tied
 *       model (not Gemma) gets the input's token_embd bytes as output.weight, and the input file
 *       is unchanged (SHA-256 before and after).</li>
 * </ul>
 * Gemma and Gemma-2 unembed with token_embd in llama.cpp, so the runtime reference also projects
 * r̂ out of the final norm's output (which is what an orthogonalized unembedding does). Gemma-2's
 * post-norms make an exact match with runtime ablation impossible (as for the safetensors export,
 * {@code OrthogonalizerExactnessTest}): its f32 edit's residual stream has no r̂ component, and its
 * re-quantized edit is compared with the f32 edit.
 */
class GgufAbliterateTest {
    static final double F32_TOL = 1e-4;

    @TempDir
    Path tmp;

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (var dirs = Files.list(Shared.path("golden"))) {
            dirs.filter(d -> Files.isRegularFile(d.resolve("expected.npz"))).map(d -> d.getFileName().toString())
                    .filter(n -> !n.equals("mistral")).sorted().forEach(n -> out.add(Arguments.of(n, GgmlType.Q8_0)));
        }
        assertThat(out).hasSize(11);
        out.add(Arguments.of("random-256", GgmlType.Q4_K));
        out.add(Arguments.of("random-256", GgmlType.Q6_K));
        return out.stream();
    }

    /** A llama config whose matrices have rows of 256 and 512: whole K-quant blocks. */
    private Path randomModel() throws IOException {
        Path cfg = tmp.resolve("random-config.json");
        Files.writeString(cfg, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 256, "intermediate_size": 512,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
                 "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "max_position_embeddings": 128, "tie_word_embeddings": true,
                 "torch_dtype": "float32"}
                """);
        Path dir = tmp.resolve("random-256");
        RandomModel.write(cfg, dir, DType.F32, 7);
        return dir;
    }

    private static int[][] randomSequences(int vocab) {
        SplittableRandom rnd = new SplittableRandom(11);
        int[][] out = new int[3][];
        int[] lengths = {1, 7, 19};
        for (int s = 0; s < 3; s++) {
            out[s] = new int[lengths[s]];
            for (int t = 0; t < lengths[s]; t++) out[s][t] = rnd.nextInt(vocab);
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void abliteratedLogitsEqualRuntimeAblationWithinTheRequantizationError(String name, GgmlType type) throws IOException {
        Path hf = name.startsWith("random") ? randomModel() : Shared.path("golden", name);
        ModelConfig cfg = ModelConfig.load(hf);
        int[][] sequences = name.startsWith("random") ? randomSequences(cfg.vocab) : ExportChecks.sequences(hf);
        Path in = GgufConverter.of(hf).type(type).write(tmp.resolve(name + "-" + type.ggmlName + ".gguf"));
        String before = ExportChecks.sha256(Files.readAllBytes(in));
        RefusalDirection dir = ExportChecks.randomDirection(cfg.hidden, name.hashCode() + type.id);
        Path outQ = tmp.resolve("abliterated.gguf"), outF = tmp.resolve("abliterated-f32.gguf");
        GgufAbliterator.Result rq = GgufAbliterator.export(in, dir, outQ, null, false);
        GgufAbliterator.export(in, dir, outF, GgmlType.F32, false);
        assertThat(ExportChecks.sha256(Files.readAllBytes(in))).as("the input is only read").isEqualTo(before);

        boolean gemma = cfg.normPlusOne;
        Hooks ablation = Interventions.ablate(new Hooks(), dir.unit());
        if (gemma) ablation.add(Hooks.FINAL_NORM, a -> Interventions.project(a, dir.unit()));
        double worstF32 = 0, worstQ = 0, worst64 = 0, effect = Double.MAX_VALUE, component = 0;
        try (Transformer orig = Transformer.load(in); Transformer q = Transformer.load(outQ); Transformer f = Transformer.load(outF)) {
            Reference64 q64 = new Reference64(q), f64 = new Reference64(f);
            for (int[] ids : sequences) {
                float[] runtime = ExportChecks.logits(orig, ids, ablation);
                float[] asF32 = ExportChecks.logits(f, ids, null);
                // Gemma-2's post-norms make the runtime hooks and the weight edit differ; its reference is the float32 edit
                float[] ref = cfg.sandwichNorms ? asF32 : runtime;
                worstF32 = Math.max(worstF32, ExportChecks.rel(asF32, runtime));
                worstQ = Math.max(worstQ, ExportChecks.rel(ExportChecks.logits(q, ids, null), ref));
                worst64 = Math.max(worst64, rel(q64.logits(ids), f64.logits(ids)));
                effect = Math.min(effect, ExportChecks.rel(ExportChecks.logits(orig, ids, null), runtime));
                if (cfg.sandwichNorms) component = Math.max(component, ExportChecks.maxComponent(f, ids, ExportChecks.unit(dir)));
            }
        }
        System.out.printf("%-20s %-5s requantized vs %s %.2e, float64 requantization error %.2e; as f32 vs runtime ablation %.2e%s (ablation moves logits by >= %.2e)%n",
                name, type.ggmlName, cfg.sandwichNorms ? "the f32 edit" : "runtime ablation", worstQ, worst64, worstF32,
                cfg.sandwichNorms ? String.format(", max |r.x|/|x| in its stream %.1e", component) : "", effect);
        if (cfg.sandwichNorms) {
            assertThat(component).as(name + ": the f32 edit's residual stream has no r component").isLessThanOrEqualTo(1e-5);
        } else {
            assertThat(worstF32).as(name + ": --outtype f32 against runtime ablation").isLessThanOrEqualTo(F32_TOL);
        }
        assertThat(worstQ).as(name + ": requantized against the reference, bound: float64 requantization error + float32 parity")
                .isLessThanOrEqualTo(worst64 + F32_TOL);
        assertThat(effect).as("the ablation changes the logits far more than the float32 check's tolerance").isGreaterThan(100 * F32_TOL);
        sameFileApartFromTheEdit(in, outQ, cfg, rq);
    }

    /**
     * A split input (gguf-split's three parts, abliterated through its second part) gives the same
     * file as the whole one; an input laid out with general.alignment 64 keeps it, every tensor at
     * a multiple of 64, and runs.
     */
    @org.junit.jupiter.api.Test
    void aSplitInputBecomesOneFileAndTheAlignmentIsKept() throws IOException {
        Path hf = Shared.path("golden", "qwen2");
        int d = ModelConfig.load(hf).hidden;
        RefusalDirection dir = ExportChecks.randomDirection(d, 99);
        Path whole = GgufConverter.of(hf).type(GgmlType.Q8_0).write(tmp.resolve("whole.gguf"));
        Files.createDirectories(tmp.resolve("split"));
        GgufConverter.of(hf).type(GgmlType.Q8_0).split(3).write(tmp.resolve("split").resolve("m.gguf"));
        Path a = tmp.resolve("from-whole.gguf"), b = tmp.resolve("from-split.gguf");
        GgufAbliterator.export(whole, dir, a, null, false);
        GgufAbliterator.Result r = GgufAbliterator.export(tmp.resolve("split").resolve("m-00002-of-00003.gguf"), dir, b, null, false);
        assertThat(r.warnings()).anyMatch(w -> w.contains("3 parts of the split input are written as one file"));
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));

        Path aligned = tmp.resolve("aligned64.gguf");
        dev.refusal4j.io.gguf.GgufWriter w = new dev.refusal4j.io.gguf.GgufWriter();
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf g = GgufReader.open(whole, arena);
            GgufFile h = g.header();
            w.putValue("general.alignment", dev.refusal4j.io.gguf.GgufType.UINT32, null, 64L);
            for (String k : h.metadata().keySet()) w.putValue(k, h.types().get(k), h.elementTypes().get(k), h.metadata().get(k));
            for (GgufTensorInfo t : g.tensors()) {
                byte[] bytes = g.data(t).toArray(ValueLayout.JAVA_BYTE);
                w.addTensor(t.name(), t.type(), t.dims(), ch -> ch.write(java.nio.ByteBuffer.wrap(bytes)));
            }
            w.write(aligned);
        }
        Path out = tmp.resolve("aligned64-abliterated.gguf");
        GgufAbliterator.export(aligned, dir, out, null, false);
        GgufFile h = GgufReader.read(out);
        assertThat(h.alignment()).isEqualTo(64);
        assertThat(h.dataOffset() % 64).isZero();
        assertThat(h.tensors()).allMatch(t -> t.offset() % 64 == 0);
        try (Transformer x = Transformer.load(a); Transformer y = Transformer.load(out)) {
            int[] ids = {1, 5, 9, 200};
            assertThat(ExportChecks.logits(y, ids, null)).containsExactly(ExportChecks.logits(x, ids, null));
        }
    }

    /** Float64 max|a - b| / max|b|. */
    static double rel(double[][] a, double[][] b) {
        double diff = 0, max = 0;
        for (int t = 0; t < b.length; t++) {
            for (int i = 0; i < b[t].length; i++) {
                diff = Math.max(diff, Math.abs(a[t][i] - b[t][i]));
                max = Math.max(max, Math.abs(b[t][i]));
            }
        }
        return diff / max;
    }

    private static void sameFileApartFromTheEdit(Path in, Path out, ModelConfig cfg, GgufAbliterator.Result r) {
        try (Arena arena = Arena.ofConfined()) {
            MappedGguf a = GgufReader.open(in, arena), b = GgufReader.open(out, arena);
            GgufFile ha = a.header(), hb = b.header();
            assertThat(hb.alignment()).isEqualTo(ha.alignment());
            for (String k : ha.metadata().keySet()) {
                assertThat(hb.types().get(k)).as(k).isEqualTo(ha.types().get(k));
                assertThat(Objects.deepEquals(hb.metadata().get(k), ha.metadata().get(k))).as("metadata " + k + " kept").isTrue();
            }
            assertThat(hb.metadata().keySet().stream().filter(k -> !ha.metadata().containsKey(k)))
                    .allMatch(k -> k.startsWith("refusal4j.")).contains("refusal4j.direction.sha256", "refusal4j.modified_tensors");
            Set<String> edited = new java.util.HashSet<>(Set.of("token_embd.weight"));
            for (int l = 0; l < cfg.layers; l++) {
                for (String t : List.of("attn_output", "ffn_down")) {
                    edited.add("blk." + l + "." + t + ".weight");
                    if (a.has("blk." + l + "." + t + ".bias")) edited.add("blk." + l + "." + t + ".bias");
                }
            }
            assertThat(r.modifiedTensors()).isEqualTo(edited.size());
            for (GgufTensorInfo t : a.tensors()) {
                GgufTensorInfo u = b.tensor(t.name());
                assertThat(u.type()).as(t.name()).isEqualTo(t.type());
                assertThat(u.dims()).as(t.name()).isEqualTo(t.dims());
                byte[] x = a.data(t).toArray(ValueLayout.JAVA_BYTE), y = b.data(u).toArray(ValueLayout.JAVA_BYTE);
                if (edited.contains(t.name())) assertThat(y).as(t.name() + " edited").isNotEqualTo(x);
                else assertThat(y).as(t.name() + " copied byte for byte").isEqualTo(x);
            }
            boolean untie = !a.has("output.weight") && !cfg.normPlusOne;
            assertThat(r.untied()).isEqualTo(untie);
            assertThat(b.tensors()).hasSize(a.tensors().size() + (untie ? 1 : 0));
            if (untie) {
                assertThat(b.data(b.tensor("output.weight")).toArray(ValueLayout.JAVA_BYTE))
                        .as("output.weight is the original embedding").isEqualTo(a.data(a.tensor("token_embd.weight")).toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }
}
