package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.grad.TargetLoss;
import dev.refusal4j.grad.TokenGradients;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.testutil.DequantizedAtLoad;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Reference64;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A quantized GGUF run with its blocks multiplied in place gives the logits of the same file with
 * every quantized matrix dequantized to F32 at load ({@link DequantizedAtLoad}, ggml's reference
 * dequantizer) and of a float64 forward pass on those weights, within the engine's parity bound
 * (1e-5 of the largest logit): the two runs differ only in the order of float32 sums.
 * <ul>
 *   <li>the golden models (../shared/golden) converted by {@code convert} ({@link GgufConverter},
 *       ggml's reference quantizers) to Q8_0, Q4_0 and Q5_0: their rows of 64 and 128 weights are whole
 *       32-blocks but never 256-blocks;</li>
 *   <li>random-weight qwen2 and llama models of width 256 converted to Q8_0, Q4_0, Q5_0, Q4_K and Q6_K
 *       (every matrix, the embedding and llama's permuted q/k rows included), on 1 token
 *       (blocks dotted in registers), 5 (rows widened once) and 40 (Gemm's panels); and their
 *       token gradients (GCG's backward pass, which dequantizes weight rows on demand).</li>
 * </ul>
 */
class QuantizedInPlaceParityTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> golden() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String m : GgufParityTest.models().toList()) for (GgmlType t : List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0)) out.add(Arguments.of(m, t));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("golden")
    void goldenModelsGiveTheLogitsOfTheirDequantizedWeights(String model, GgmlType type) throws IOException {
        Path hf = Shared.path("golden", model);
        Path gguf = GgufParityTest.converter(hf).type(type).write(tmp.resolve(model + "-" + type + ".gguf"));
        Map<String, Npz.Array> ref = Npz.read(hf.resolve("expected.npz"));
        List<int[]> seqs = new ArrayList<>();
        for (int s = 0; ref.containsKey("s" + s + "_ids"); s++) seqs.add(GgufParityTest.ids(ref, s));
        compare(gguf, DType.of(type), model, seqs);
    }

    static Stream<Arguments> random() {
        List<Arguments> out = new ArrayList<>();
        for (String arch : List.of("qwen2", "llama")) {
            for (GgmlType t : List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K)) out.add(Arguments.of(arch, t));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("random")
    void randomModelsOfWidth256GiveTheLogitsOfTheirDequantizedWeights(String arch, GgmlType type) throws IOException {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, """
                {"architectures": ["%s"], "model_type": "%s", "hidden_size": 256, "intermediate_size": 512,
                 "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512,
                 "max_position_embeddings": 128, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "tie_word_embeddings": %s,
                 "hidden_act": "silu", "torch_dtype": "float32", "bos_token_id": 1, "eos_token_id": 2}
                """.formatted(arch.equals("qwen2") ? "Qwen2ForCausalLM" : "LlamaForCausalLM", arch, arch.equals("qwen2")));
        Path hf = tmp.resolve(arch);
        RandomModel.write(config, hf, DType.F32, 7);
        Path gguf = GgufConverter.of(hf).type(type).write(tmp.resolve(arch + "-" + type + ".gguf"));
        SplittableRandom r = new SplittableRandom(3);
        List<int[]> seqs = new ArrayList<>();
        for (int len : new int[] {1, 5, 40}) seqs.add(r.ints(len, 0, 512).toArray());
        compare(gguf, DType.of(type), arch + "-256", seqs);
        tokenGradients(gguf, arch + "-256 " + type, seqs.get(2));
    }

    /**
     * GCG's backward pass reads weight rows ({@code Matrix.row}), which a quantized matrix
     * dequantizes on demand: the token gradients of the model in place equal those of the model
     * dequantized at load within the same bound (relative to the largest component).
     */
    private static void tokenGradients(Path gguf, String what, int[] ids) throws IOException {
        GgufModel g = GgufModel.open(List.of(gguf));
        try (Transformer inPlace = Transformer.load(gguf); Transformer dequantized = new Transformer(gguf, ModelConfig.of(g), new DequantizedAtLoad(g))) {
            int[] positions = {3, 4, 5, 6};
            TargetLoss loss = TargetLoss.completion(ids, 30);
            TokenGradients.Result a = new TokenGradients(inPlace).compute(ids, loss, positions);
            TokenGradients.Result b = new TokenGradients(dequantized).compute(ids, loss, positions);
            double worst = 0;
            for (int p = 0; p < positions.length; p++) worst = Math.max(worst, GgufParityTest.rel(a.tokenGrad()[p], b.tokenGrad()[p]));
            System.out.printf("%-20s token gradients in place vs dequantized at load %.2e, loss %.6f vs %.6f%n", what, worst, a.loss(), b.loss());
            assertThat(worst).as(what + " token gradients").isLessThanOrEqualTo(GgufParityTest.TOL);
            assertThat(a.loss()).isCloseTo(b.loss(), org.assertj.core.data.Offset.offset(GgufParityTest.TOL * Math.abs(b.loss())));
        }
    }

    private static void compare(Path gguf, DType type, String model, List<int[]> seqs) throws IOException {
        StringBuilder line = new StringBuilder(String.format("%-20s %-5s", model, type));
        double worst = 0, worst64 = 0;
        GgufModel g = GgufModel.open(List.of(gguf)); // closed with the model that reads it
        try (Transformer inPlace = Transformer.load(gguf); Transformer dequantized = new Transformer(gguf, ModelConfig.of(g), new DequantizedAtLoad(g))) {
            assertThat(inPlace.weights.layers[0].wDown.dtype).as("down_proj multiplied in place").isEqualTo(type);
            assertThat(inPlace.weights.layers[0].wDown.data.isMapped()).as("down_proj a slice of the mapping").isTrue();
            assertThat(dequantized.weights.layers[0].wDown.dtype).isEqualTo(DType.F32);
            Reference64 r64 = new Reference64(dequantized);
            for (int[] ids : seqs) {
                float[] a = inPlace.forward(Forward.of(ids)), b = dequantized.forward(Forward.of(ids));
                double vsLoad = GgufParityTest.rel(a, b), vs64 = GgufParityTest.rel(a, r64.logits(ids));
                worst = Math.max(worst, vsLoad);
                worst64 = Math.max(worst64, vs64);
                line.append(String.format("  T=%2d: vs dequantized at load %.2e, vs float64 %.2e", ids.length, vsLoad, vs64));
            }
        }
        System.out.println(line);
        assertThat(worst).as(model + " " + type + " in place against dequantized at load").isLessThanOrEqualTo(GgufParityTest.TOL);
        assertThat(worst64).as(model + " " + type + " in place against float64 on the dequantized weights").isLessThanOrEqualTo(GgufParityTest.TOL);
    }
}
