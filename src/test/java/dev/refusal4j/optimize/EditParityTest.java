package dev.refusal4j.optimize;

import dev.refusal4j.export.EditedWeights;
import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.export.PartialExport;
import dev.refusal4j.intervene.AblationKernel;
import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.TensorNames;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A partial ablation gives the same model as run-time hooks, as in-memory weights and as an
 * exported folder and as a GGUF file; its norm-preserving form keeps every edited column's norm.
 */
public class EditParityTest {
    static final Path ORGANISM = Path.of("models/organism");
    /** The engine's parity bound (ExportParityTest): max |Δlogit| over max |logit|. */
    public static final double PARITY = 1e-5;

    @TempDir
    Path tmp;

    /** Two directions per layer, each layer's own biprojection, heretic-style weights differing for attention and MLP. */
    static PartialAblation edit(Transformer m, boolean normPreserving) {
        List<int[]> harmful = new ArrayList<>(), harmless = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(5);
        for (int p = 0; p < 6; p++) {
            harmful.add(rng.ints(7, 0, 3000).toArray());
            harmless.add(rng.ints(8, 0, 3000).toArray());
        }
        LayerDirections dirs = new LayerDirections(LastActivations.residPre(m, harmful, 4), LastActivations.residPre(m, harmless, 4));
        int L = m.config.layers;
        double[][] source = dirs.basis(2.4, 2);
        double[][][] basis = new double[L][][];
        for (int l = 0; l < L; l++) basis[l] = dirs.orthogonalToHarmless(source, l);
        return new PartialAblation(basis, new AblationKernel(1.3, 3.2, 0.4, 2.5).weights(L), new AblationKernel(0.9, 1.0, 0.2, 4).weights(L), normPreserving);
    }

    static int[][] tokens() {
        SplittableRandom rng = new SplittableRandom(9);
        return new int[][] {rng.ints(12, 0, 3000).toArray(), rng.ints(12, 0, 3000).toArray()};
    }

    @Test
    void hooksWeightsAndExportAgree() throws Exception {
        try (Transformer m = Transformer.load(ORGANISM)) {
            PartialAblation e = edit(m, false);
            int[][] ids = tokens();
            float[] hooked = m.forward(Forward.of(ids).hooks(e.hooks()));
            float[] plain = m.forward(Forward.of(ids));
            assertThat(relDiff(plain, hooked)).as("the edit changes the logits").isGreaterThan(1e-2);
            try (Transformer w = new Transformer(ORGANISM, m.config, new EditedWeights(m.config, m.files(), e))) {
                assertThat(relDiff(hooked, w.forward(Forward.of(ids)))).as("in-memory weights vs hooks").isLessThan(PARITY);
            }
            Path out = PartialExport.write(ORGANISM, e, "test edit", tmp.resolve("edited"), false);
            try (Transformer x = Transformer.load(out)) {
                assertThat(relDiff(hooked, x.forward(Forward.of(ids)))).as("exported folder vs hooks").isLessThan(PARITY);
            }
            Path gguf = GgufConverter.of(ORGANISM).edit(e, "test edit").write(tmp.resolve("edited.gguf"));
            try (Transformer x = Transformer.load(gguf)) {
                assertThat(relDiff(hooked, x.forward(Forward.of(ids)))).as("exported GGUF vs hooks").isLessThan(PARITY);
            }
            assertThat(GgufReader.read(gguf).string("refusal4j.edit")).isEqualTo("test edit");
        }
    }

    @Test
    void normPreservingKeepsEveryEditedColumnsNorm() throws Exception {
        try (Transformer m = Transformer.load(ORGANISM)) {
            PartialAblation e = edit(m, true);
            ModelConfig c = m.config;
            TensorNames n = new TensorNames(c);
            Path out = PartialExport.write(ORGANISM, e, "norm-preserving test edit", tmp.resolve("np"), false);
            try (EditedWeights w = new EditedWeights(c, m.files(), e); Transformer x = Transformer.load(out)) {
                int edited = 0;
                for (int l = 0; l < c.layers; l++) {
                    for (String name : new String[] {n.o(l), n.down(l)}) {
                        long cols = name.equals(n.o(l)) ? c.qDim() : c.intermediate;
                        double wt = name.equals(n.o(l)) ? e.attn()[l] : e.mlp()[l];
                        Matrix before = m.files().matrix(name, c.hidden, cols);
                        for (Matrix after : new Matrix[] {w.matrix(name, c.hidden, cols), x.files().matrix(name, c.hidden, cols)}) {
                            double moved = 0;
                            for (int j = 0; j < cols; j++) {
                                double n0 = 0, n1 = 0;
                                for (int i = 0; i < c.hidden; i++) {
                                    n0 += sq(before.get(i, j));
                                    n1 += sq(after.get(i, j));
                                    moved = Math.max(moved, Math.abs(before.get(i, j) - after.get(i, j)));
                                }
                                // float32 rounding of each of d entries: relative error well under 1e-6
                                assertThat(Math.sqrt(n1)).as("%s column %d", name, j).isCloseTo(Math.sqrt(n0), within(1e-6 * Math.sqrt(n0)));
                            }
                            if (wt != 0) {
                                assertThat(moved).as("%s is edited", name).isGreaterThan(1e-4);
                                edited++;
                            }
                        }
                    }
                }
                assertThat(edited).isGreaterThan(4);
            }
        }
    }

    @Test
    void kernelFallsLinearlyFromItsPeak() {
        AblationKernel k = new AblationKernel(1.2, 3.5, 0.2, 2);
        // distance 0.5 → 1.2 + 0.25·(0.2 − 1.2) = 0.95; distance 1.5 → 1.2 + 0.75·(−1) = 0.45; distance 2.5 → 0
        assertThat(k.weights(7)).containsExactly(new double[] {0, 0, 0.45, 0.95, 0.95, 0.45, 0}, within(1e-12));
    }

    private static double sq(double v) {
        return v * v;
    }

    public static double relDiff(float[] a, float[] b) {
        double scale = 0, diff = 0;
        for (int i = 0; i < a.length; i++) {
            scale = Math.max(scale, Math.abs(a[i]));
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff / scale;
    }
}
