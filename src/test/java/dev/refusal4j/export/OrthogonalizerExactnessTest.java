package dev.refusal4j.export;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.intervene.Interventions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.TensorNames;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import dev.refusal4j.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exported model equals run-time directional ablation of the original: for every golden
 * architecture without a norm between projection and residual add, the logits of the exported
 * model match {@link Interventions#ablate} on the original (F32: max|diff|/max|ref| ≤ 1e-4), every
 * modified matrix is orthogonal to r̂ within its own rounding, and everything else is byte-identical.
 */
class OrthogonalizerExactnessTest {
    static final double F32_TOL = 1e-4;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "llama-gqa", "llama3-rope-scaling", "llama-bf16", "qwen2", "qwen3", "qwen3-hd32", "gemma", "phi3", "mistral", "qwen1"})
    void exportedLogitsEqualRuntimeAblation(String name) throws IOException {
        Path in = Shared.path("golden", name);
        Map<String, String> before = ExportChecks.snapshot(in);
        ModelConfig cfg = ModelConfig.load(in);
        RefusalDirection dir = ExportChecks.randomDirection(cfg.hidden, name.hashCode());
        Path out = tmp.resolve("out");
        Orthogonalizer.Result res = Orthogonalizer.export(in, dir, out, false, ProgressListener.NONE);

        double worst = 0, ablationEffect = Double.MAX_VALUE;
        try (Transformer orig = Transformer.load(in); Transformer exp = Transformer.load(out)) {
            for (int[] ids : ExportChecks.sequences(in)) {
                float[] ref = ExportChecks.logits(orig, ids, Interventions.ablate(new Hooks(), dir.unit()));
                float[] plain = ExportChecks.logits(orig, ids, null);
                float[] got = ExportChecks.logits(exp, ids, null);
                worst = Math.max(worst, ExportChecks.rel(got, ref));
                ablationEffect = Math.min(ablationEffect, ExportChecks.rel(plain, ref));
            }
        }
        System.out.printf("%-20s exported vs runtime-ablated logits rel %.3e (ablation itself moves logits by >= %.3e)%n", name, worst, ablationEffect);
        assertThat(ablationEffect).as("the direction must matter, or the comparison proves nothing").isGreaterThan(1e-3);
        if (cfg.dtype == dev.refusal4j.tensor.DType.F32) {
            assertThat(worst).as(name + " logits rel diff").isLessThanOrEqualTo(F32_TOL);
        } else {
            // Bound for BF16: the export rounds W* = W − r̂r̂ᵀW to BF16 once (relative error ≤ 2^-8 per
            // element). The golden folder holds the same model with F32 weights: the logits difference
            // between the two is the effect of one BF16 rounding of all weights, which bounds ours
            // (we round only the embedding and the output projections).
            double control;
            try (Transformer f32 = Transformer.load(Shared.path("golden", "llama")); Transformer bf = Transformer.load(in)) {
                control = 0;
                for (int[] ids : ExportChecks.sequences(in)) {
                    control = Math.max(control, ExportChecks.rel(ExportChecks.logits(bf, ids, null), ExportChecks.logits(f32, ids, null)));
                }
            }
            System.out.printf("%-20s BF16 bound: F32 vs BF16 weights of the same model differ by %.3e%n", name, control);
            assertThat(worst).as(name + " BF16 logits rel diff").isLessThanOrEqualTo(control);
        }
        checkTensors(in, out, cfg, dir, res);
        checkFiles(in, out, cfg);
        assertThat(ExportChecks.snapshot(in)).as("input bytes and mtimes").isEqualTo(before);
    }

    /**
     * F16 weights (llama converted here): the exported model matches runtime ablation within the
     * effect of one F16 rounding, measured as the F16 copy's own distance from the F32 original.
     */
    @Test
    void f16ModelStaysF16AndMatchesWithinF16Rounding() throws IOException {
        Path golden = Shared.path("golden", "llama");
        Path in = tmp.resolve("llama-f16");
        Files.createDirectories(in);
        Files.writeString(in.resolve("config.json"), Files.readString(golden.resolve("config.json"))
                .replaceAll("\"torch_dtype\"\\s*:\\s*\"float32\"", "\"torch_dtype\": \"float16\""));
        Files.copy(golden.resolve("ids.json"), in.resolve("ids.json"));
        try (ModelFiles g = ModelFiles.open(golden)) {
            java.util.List<dev.refusal4j.io.SafetensorsWriter.Source> src = new java.util.ArrayList<>();
            for (String t : g.names()) {
                float[] v = matrix(g, t).toFloats();
                long[] shape = g.info(t).shape();
                src.add(new dev.refusal4j.io.SafetensorsWriter.Source() {
                    public String name() { return t; }
                    public String dtype() { return "F16"; }
                    public long[] shape() { return shape; }
                    public void writeTo(java.nio.channels.FileChannel out) throws IOException {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                        for (float x : v) b.putShort(Float.floatToFloat16(x));
                        b.flip();
                        while (b.hasRemaining()) out.write(b);
                    }
                });
            }
            dev.refusal4j.io.SafetensorsWriter.write(in.resolve("model.safetensors"), src, Map.of("format", "pt"));
        }
        ModelConfig cfg = ModelConfig.load(in);
        assertThat(cfg.dtype).isEqualTo(dev.refusal4j.tensor.DType.F16);
        RefusalDirection dir = ExportChecks.randomDirection(cfg.hidden, 16);
        Path out = tmp.resolve("out");
        Orthogonalizer.Result res = Orthogonalizer.export(in, dir, out, false, ProgressListener.NONE);
        double worst = 0, control = 0;
        try (Transformer orig = Transformer.load(in); Transformer exp = Transformer.load(out); Transformer f32 = Transformer.load(golden)) {
            for (int[] ids : ExportChecks.sequences(in)) {
                float[] ref = ExportChecks.logits(orig, ids, Interventions.ablate(new Hooks(), dir.unit()));
                worst = Math.max(worst, ExportChecks.rel(ExportChecks.logits(exp, ids, null), ref));
                control = Math.max(control, ExportChecks.rel(ExportChecks.logits(orig, ids, null), ExportChecks.logits(f32, ids, null)));
            }
        }
        System.out.printf("%-20s exported vs runtime-ablated logits rel %.3e (F16 rounding of the whole model: %.3e)%n", "llama-f16", worst, control);
        assertThat(worst).isLessThanOrEqualTo(control);
        try (ModelFiles b = ModelFiles.open(out)) {
            for (String t : b.names()) assertThat(b.info(t).dtype()).isEqualTo("F16");
        }
        checkTensors(in, out, cfg, dir, res);
    }

    /** Gemma-2 has post-norms: an exact logit match is impossible, but the residual stream has no r̂ component. */
    @Test
    void gemma2ResidualStreamHasNoComponentAlongDirection() throws IOException {
        Path in = Shared.path("golden", "gemma2");
        ModelConfig cfg = ModelConfig.load(in);
        RefusalDirection dir = ExportChecks.randomDirection(cfg.hidden, 2024);
        Path out = tmp.resolve("out");
        Orthogonalizer.Result res = Orthogonalizer.export(in, dir, out, false, ProgressListener.NONE);
        double[] u = ExportChecks.unit(dir);
        double worstExported = 0, worstOriginal = 0, logitRel = 0;
        try (Transformer orig = Transformer.load(in); Transformer exp = Transformer.load(out)) {
            for (int[] ids : ExportChecks.sequences(in)) {
                worstExported = Math.max(worstExported, ExportChecks.maxComponent(exp, ids, u));
                worstOriginal = Math.max(worstOriginal, ExportChecks.maxComponent(orig, ids, u));
                float[] ref = ExportChecks.logits(orig, ids, Interventions.ablate(new Hooks(), dir.unit()));
                logitRel = Math.max(logitRel, ExportChecks.rel(ExportChecks.logits(exp, ids, null), ref));
            }
        }
        System.out.printf("gemma2 max |r̂·x|/|x| over resid_pre/mid/post: exported %.3e, original %.3e; logits vs runtime ablation rel %.3e%n",
                worstExported, worstOriginal, logitRel);
        assertThat(worstOriginal).as("the original stream does have an r̂ component").isGreaterThan(1e-2);
        assertThat(worstExported).isLessThanOrEqualTo(1e-5);
        checkTensors(in, out, cfg, dir, res);
        checkFiles(in, out, cfg);
    }


    /** Modified tensors orthogonal within rounding; all others byte-identical; provenance present. */
    static void checkTensors(Path in, Path out, ModelConfig cfg, RefusalDirection dir, Orthogonalizer.Result res) throws IOException {
        TensorNames n = new TensorNames(cfg);
        double[] r = ExportChecks.unit(dir);
        try (ModelFiles a = ModelFiles.open(in); ModelFiles b = ModelFiles.open(out)) {
            Set<String> modified = new HashSet<>();
            double worstRatio = 0, worstRel = 0;
            modified.add(n.embed());
            ExportChecks.Residual e = ExportChecks.rowsResidual(matrix(b, n.embed()), matrix(a, n.embed()), r);
            assertThat(e.residual()).as("embedding rows · r̂").isLessThanOrEqualTo(e.bound());
            for (int l = 0; l < cfg.layers; l++) {
                double[] uAttn = cfg.sandwichNorms ? gemma2Unit(a.floats(n.postAttnNorm(l), cfg.hidden), r) : r;
                double[] uMlp = cfg.sandwichNorms ? gemma2Unit(a.floats(n.postMlpNorm(l), cfg.hidden), r) : r;
                for (var w : Map.of(n.o(l), uAttn, n.down(l), uMlp).entrySet()) {
                    modified.add(w.getKey());
                    ExportChecks.Residual s = ExportChecks.outputResidual(matrix(b, w.getKey()), matrix(a, w.getKey()), w.getValue());
                    assertThat(s.residual()).as("‖uᵀW'‖ of " + w.getKey()).isLessThanOrEqualTo(s.bound());
                    worstRatio = Math.max(worstRatio, s.residual() / s.bound());
                    worstRel = Math.max(worstRel, s.residual() / s.before());
                    String bias = n.bias(w.getKey());
                    if (a.has(bias)) {
                        modified.add(bias);
                        ExportChecks.Residual bs = ExportChecks.rowsResidual(matrix(b, bias), matrix(a, bias), w.getValue());
                        assertThat(bs.residual()).as(bias + " · u").isLessThanOrEqualTo(bs.bound());
                    }
                }
            }
            System.out.printf("    %d modified tensors: max ‖uᵀW'‖/‖uᵀW‖ = %.2e, max ‖uᵀW'‖/rounding bound = %.3f; embedding max|r̂·e'| %.2e (before %.2e)%n",
                    modified.size(), worstRel, worstRatio, e.residual(), e.before());
            assertThat(res.modifiedTensors()).isEqualTo(modified.size());
            for (String t : a.names()) {
                if (modified.contains(t)) continue;
                assertThat(b.segment(t).mismatch(a.segment(t))).as("tensor " + t + " byte-identical").isEqualTo(-1L);
            }
            if (cfg.tieEmbeddings) {
                assertThat(b.info("lm_head.weight").dtype()).isEqualTo(a.info(n.embed()).dtype());
                assertThat(b.segment("lm_head.weight").mismatch(a.segment(n.embed()))).as("lm_head = original embedding").isEqualTo(-1L);
            } else {
                assertThat(b.has("lm_head.weight") || cfg.layout == ModelConfig.Layout.QWEN1).isTrue();
            }
            Set<String> names = new HashSet<>();
            b.names().forEach(names::add);
            Set<String> expectedNames = new HashSet<>();
            a.names().forEach(expectedNames::add);
            if (cfg.tieEmbeddings) expectedNames.add("lm_head.weight");
            assertThat(names).isEqualTo(expectedNames);
            Map<String, String> meta = b.files().get(0).metadata();
            assertThat(meta).containsEntry("format", "pt").containsEntry("refusal4j.direction.layer", "1")
                    .containsEntry("refusal4j.direction.position", "-1").containsEntry("refusal4j.direction.seed", dir.metadata().get("seed"))
                    .containsKey("refusal4j.tool").containsEntry("refusal4j.direction.sha256", ExportedMetadata.sha256(dir.vector()));
        }
    }

    private static Matrix matrix(ModelFiles f, String name) {
        long[] s = f.info(name).shape();
        return s.length == 1 ? f.matrix(name, s[0]) : f.matrix(name, s[0], s[1]);
    }

    /** normalize((1 + w) ⊙ r̂), computed here independently of the exporter. */
    private static double[] gemma2Unit(float[] w, double[] r) {
        double[] u = new double[r.length];
        for (int i = 0; i < r.length; i++) u[i] = (1.0 + w[i]) * r[i];
        double norm = ExportChecks.norm(u);
        for (int i = 0; i < r.length; i++) u[i] /= norm;
        return u;
    }

    /** Other files copied byte for byte; config.json identical, or with only tie_word_embeddings changed. */
    static void checkFiles(Path in, Path out, ModelConfig cfg) throws IOException {
        try (var s = Files.list(in)) {
            for (Path p : s.toList()) {
                String f = p.getFileName().toString();
                if (f.equals("model.safetensors") || f.equals("config.json")) continue;
                assertThat(out.resolve(f)).as(f + " copied").hasSameBinaryContentAs(p);
            }
        }
        if (!cfg.tieEmbeddings) {
            assertThat(out.resolve("config.json")).hasSameBinaryContentAs(in.resolve("config.json"));
        } else {
            ObjectMapper om = new ObjectMapper();
            ObjectNode want = (ObjectNode) om.readTree(in.resolve("config.json").toFile());
            want.put("tie_word_embeddings", false);
            assertThat(om.readTree(out.resolve("config.json").toFile())).isEqualTo(want);
            assertThat(ModelConfig.load(out).tieEmbeddings).isFalse();
        }
        try (var s = Files.list(out.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(x -> x.startsWith(".")).toList()).as("no temporary folders left").isEmpty();
        }
    }
}
