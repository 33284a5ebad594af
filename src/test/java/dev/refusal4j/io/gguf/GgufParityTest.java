package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Reference64;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden model (../shared/golden) whose architecture llama.cpp has, converted to GGUF by
 * refusal4j's {@code convert} ({@link GgufConverter}, as convert_hf_to_gguf.py converts it) and
 * loaded with {@code Transformer.load(x.gguf)}:
 * <ul>
 *   <li>in its own dtype (F32; BF16 for llama-bf16), used in place from the mapping, the logits of
 *       all three sequences equal the safetensors model's and the golden float64 reference's
 *       within the engine's parity bound (1e-5 of the largest logit);</li>
 *   <li>as F16, BF16 and Q8_0 (weights that are not the golden ones any more), used in place from
 *       the mapping, every matrix row is
 *       the Hugging Face row converted to the type and back, bit for bit, the logits equal a
 *       float64 forward pass on the dequantized weights within the same bound, and their distance
 *       from the golden logits, the format's own error, is printed and bounded.</li>
 * </ul>
 * mistral is left out: llama.cpp runs it as llama, without its sliding window.
 */
class GgufParityTest {
    static final double TOL = 1e-5;
    @TempDir
    Path tmp;

    static Stream<String> models() throws IOException {
        List<String> out = new ArrayList<>();
        try (var dirs = Files.list(Shared.path("golden"))) {
            dirs.filter(d -> Files.isRegularFile(d.resolve("expected.npz"))).map(d -> d.getFileName().toString())
                    .filter(n -> !n.equals("mistral")).sorted().forEach(out::add);
        }
        assertThat(out).hasSize(11);
        return out.stream();
    }

    static Stream<Arguments> lossy() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String m : models().toList()) {
            for (GgmlType t : List.of(GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0)) {
                if (!(m.equals("llama-bf16") && t == GgmlType.BF16)) out.add(Arguments.of(m, t));
            }
        }
        return out.stream();
    }

    /** The golden model's converter (Gemma-2's query_pre_attn_scalar goes into q, as llama.cpp has no key for it). */
    static GgufConverter converter(Path hf) throws IOException {
        return GgufConverter.of(hf);
    }

    static int[] ids(Map<String, Npz.Array> ref, int s) {
        float[] f = ref.get("s" + s + "_ids").data();
        int[] ids = new int[f.length];
        for (int i = 0; i < ids.length; i++) ids[i] = (int) f[i];
        return ids;
    }

    /** max|a - ref| / max|ref|. */
    static double rel(float[] a, float[] ref) {
        assertThat(a).hasSameSizeAs(ref);
        double diff = 0, max = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - ref[i]));
            max = Math.max(max, Math.abs(ref[i]));
        }
        return diff / max;
    }

    static double rel(float[] a, double[][] ref) {
        double diff = 0, max = 0;
        int k = 0;
        for (double[] row : ref) {
            for (double r : row) {
                diff = Math.max(diff, Math.abs(a[k++] - r));
                max = Math.max(max, Math.abs(r));
            }
        }
        assertThat(k).isEqualTo(a.length);
        return diff / max;
    }

    static float[] flat(double[][] x) {
        float[] out = new float[x.length * x[0].length];
        int k = 0;
        for (double[] row : x) for (double v : row) out[k++] = (float) v;
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void inItsOwnDtypeItMatchesTheSafetensorsModelAndTheGolden(String model) throws IOException {
        Path hf = Shared.path("golden", model);
        Path gguf = converter(hf).write(tmp.resolve(model + ".gguf"));
        Map<String, Npz.Array> ref = Npz.read(hf.resolve("expected.npz"));
        double worstHf = 0, worstGolden = 0;
        int identical = 0;
        try (Transformer a = Transformer.load(hf); Transformer b = Transformer.load(gguf)) {
            sameModel(a.config, b.config, model);
            // used in place: the v projection (never permuted) is a slice of the mapping, in the stored dtype
            assertThat(b.weights.layers[0].wv.data.isMapped()).as("v_proj in place").isTrue();
            assertThat(b.weights.layers[0].wv.dtype).isEqualTo(a.weights.layers[0].wv.dtype);
            Reference64 r64 = new Reference64(b);
            StringBuilder line = new StringBuilder(String.format("%-20s %-4s", model, a.config.dtype));
            for (int s = 0; ref.containsKey("s" + s + "_ids"); s++) {
                int[] ids = ids(ref, s);
                float[] la = a.forward(Forward.of(ids)), lb = b.forward(Forward.of(ids)), golden = ref.get("s" + s + "_logits").data();
                double vsHf = rel(lb, la), vsGolden = rel(lb, golden);
                if (vsHf == 0) identical++;
                worstHf = Math.max(worstHf, vsHf);
                worstGolden = Math.max(worstGolden, vsGolden);
                assertThat(rel(flat(r64.logits(ids)), golden)).as(model + ": the float64 reference on the GGUF's weights against the golden").isLessThan(1e-6);
                line.append(String.format("  T=%2d: vs safetensors %.2e, vs golden %.2e", ids.length, vsHf, vsGolden));
            }
            System.out.println(line + (identical > 0 ? "  (" + identical + " sequences bit-identical to safetensors)" : ""));
        }
        assertThat(worstHf).as(model + " GGUF logits against the safetensors model's").isLessThanOrEqualTo(TOL);
        assertThat(worstGolden).as(model + " GGUF logits against the golden reference").isLessThanOrEqualTo(TOL);
    }

    /** What the GGUF's metadata says equals config.json, where llama.cpp can say it. */
    static void sameModel(ModelConfig want, ModelConfig got, String model) {
        assertThat(got.architecture).as(model).isEqualTo(want.architecture);
        assertThat(got.layout).isEqualTo(want.layout);
        assertThat(new int[] {got.hidden, got.layers, got.heads, got.kvHeads, got.headDim, got.intermediate, got.vocab, got.maxPositions})
                .as(model + ": d, L, H, KV, hd, ff, V, context")
                .containsExactly(want.hidden, want.layers, want.heads, want.kvHeads, want.headDim, want.intermediate, want.vocab, want.maxPositions);
        assertThat(got.eps).isEqualTo(want.eps);
        assertThat(got.rope.dims()).isEqualTo(want.rope.dims());
        assertThat(got.rope.theta()).isEqualTo((double) (float) want.rope.theta()); // a float32 key
        assertThat(got.rope.type()).isEqualTo(want.rope.type().equals("llama3") ? "factors" : want.rope.type());
        assertThat(new boolean[] {got.tieEmbeddings, got.normPlusOne, got.sandwichNorms, got.qkNorm, got.qkvBias, got.oBias, got.mlpBias, got.scaleEmbeddings})
                .as(model + ": tied, 1+w norms, sandwich norms, qk-norm, qkv/o/mlp bias, embedding scale")
                .containsExactly(want.tieEmbeddings, want.normPlusOne, want.sandwichNorms, want.qkNorm, want.qkvBias, want.oBias, want.mlpBias, want.scaleEmbeddings);
        assertThat(got.activation).isEqualTo(want.activation);
        assertThat(got.attnSoftcap).isEqualTo(want.attnSoftcap);
        assertThat(got.finalSoftcap).isEqualTo(want.finalSoftcap);
        assertThat(got.window).as(model + " windows").containsExactly(want.window);
        assertThat(got.dtype).isEqualTo(want.dtype);
        assertThat(got.bosId).isEqualTo(want.bosId);
        assertThat(got.eosIds).isEqualTo(want.eosIds.length > 1 ? got.eosIds : want.eosIds); // the converter writes one eos id
    }

    /**
     * Bounds on the format's own error, max |logit - golden| / max |golden| over the three
     * sequences, about twice the worst measured (gemma2's, whose soft-caps and sandwich norms
     * amplify it): F16 1.7e-3, BF16 1.2e-2, Q8_0 4.7e-2.
     */
    static double bound(GgmlType t) {
        return switch (t) {
            case F16 -> 4e-3;
            case BF16 -> 3e-2;
            case Q8_0 -> 1e-1;
            default -> TOL;
        };
    }

    /**
     * Every matrix of the GGUF model, row by row, is the Hugging Face row converted to the type and
     * back, bit for bit: the tensors are where they belong (llama's q/k rows unpermuted, fused
     * projections split), whatever path loaded them (in place, copied, dequantized). Quantization
     * blocks lie within rows, so a permuted row quantizes as it would in place.
     */
    static void sameWeights(Transformer a, Transformer b, GgmlType type, String model) {
        List<String> what = new ArrayList<>(List.of("embed"));
        List<dev.refusal4j.tensor.Matrix[]> pairs = new ArrayList<>();
        pairs.add(new dev.refusal4j.tensor.Matrix[] {a.weights.embed, b.weights.embed});
        for (int l = 0; l < a.config.layers; l++) {
            var wa = a.weights.layers[l];
            var wb = b.weights.layers[l];
            dev.refusal4j.tensor.Matrix[][] m = {{wa.wq, wb.wq}, {wa.wk, wb.wk}, {wa.wv, wb.wv}, {wa.wo, wb.wo}, {wa.wGate, wb.wGate}, {wa.wUp, wb.wUp}, {wa.wDown, wb.wDown}};
            String[] names = {"q", "k", "v", "o", "gate", "up", "down"};
            for (int i = 0; i < m.length; i++) {
                if (i == 0 && model.equals("gemma2")) continue; // q carries the query scale
                what.add(names[i] + l);
                pairs.add(m[i]);
            }
        }
        for (int p = 0; p < pairs.size(); p++) {
            dev.refusal4j.tensor.Matrix x = pairs.get(p)[0], y = pairs.get(p)[1];
            assertThat(new int[] {y.rows, y.cols}).containsExactly(x.rows, x.cols);
            float[] row = new float[x.cols], got = new float[x.cols];
            for (int r = 0; r < x.rows; r++) {
                x.row(r, row, 0);
                y.row(r, got, 0);
                float[] want = roundTrip(row, type);
                for (int i = 0; i < want.length; i++) {
                    if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                        throw new AssertionError(model + " " + type + " " + what.get(p) + " row " + r + " col " + i + ": " + got[i] + ", expected " + want[i]);
                    }
                }
            }
        }
    }

    /** A row stored as {@code type} and read back. */
    static float[] roundTrip(float[] x, GgmlType type) {
        float[] out = new float[x.length];
        switch (type) {
            case F16 -> { for (int i = 0; i < x.length; i++) out[i] = DType.f16ToFloat(DType.floatToF16(x[i])); }
            case BF16 -> { for (int i = 0; i < x.length; i++) out[i] = DType.bf16ToFloat(DType.floatToBf16(x[i])); }
            case Q8_0 -> {
                byte[] block = new byte[dev.refusal4j.tensor.quant.BlockQ8_0.BYTES];
                for (int k = 0; k < x.length; k += 32) {
                    dev.refusal4j.tensor.quant.BlockQ8_0.quantize(x, k, block, 0);
                    dev.refusal4j.tensor.quant.BlockQ8_0.dequantize(block, 0, out, k);
                }
            }
            default -> System.arraycopy(x, 0, out, 0, x.length);
        }
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("lossy")
    void asF16Bf16AndQ8_0ItComputesWhatItsDequantizedWeightsGive(String model, GgmlType type) throws IOException {
        Path hf = Shared.path("golden", model);
        Path gguf = converter(hf).type(type).write(tmp.resolve(model + "-" + type + ".gguf"));
        Map<String, Npz.Array> ref = Npz.read(hf.resolve("expected.npz"));
        double worstEngine = 0, worstFormat = 0;
        StringBuilder line = new StringBuilder(String.format("%-20s %-5s", model, type));
        try (Transformer a = Transformer.load(hf); Transformer b = Transformer.load(gguf)) {
            sameWeights(a, b, type, model);
            assertThat(b.weights.layers[0].wDown.dtype).isEqualTo(DType.of(type));
            assertThat(b.weights.layers[0].wDown.data.isMapped()).as("in place").isTrue();
            Reference64 r64 = new Reference64(b);
            for (int s = 0; ref.containsKey("s" + s + "_ids"); s++) {
                int[] ids = ids(ref, s);
                float[] lb = b.forward(Forward.of(ids)), golden = ref.get("s" + s + "_logits").data();
                double[][] exact = r64.logits(ids);
                double engine = rel(lb, exact), format = rel(lb, golden);
                worstEngine = Math.max(worstEngine, engine);
                worstFormat = Math.max(worstFormat, format);
                line.append(String.format("  T=%2d: vs float64 on its weights %.2e, vs golden %.2e (float64 %.2e)", ids.length, engine, format,
                        rel(flat(exact), golden)));
            }
        }
        System.out.println(line);
        assertThat(worstEngine).as(model + " " + type + " logits against float64 on the dequantized weights").isLessThanOrEqualTo(TOL);
        assertThat(worstFormat).as(model + " " + type + " logits against the golden (the format's error)").isLessThanOrEqualTo(bound(type));
    }
}
