package dev.refusal4j.optimize;

import dev.refusal4j.extract.MeanActivations;
import dev.refusal4j.model.Transformer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class LayerDirectionsTest {
    /** Activations [prompt][layer][d] of a constant vector per layer plus noise scaled by {@code noise}. */
    private static float[][][] acts(int n, int L, int d, double[][] centre, double noise, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][][] a = new float[n][L][d];
        for (int p = 0; p < n; p++) for (int l = 0; l < L; l++) for (int i = 0; i < d; i++) a[p][l][i] = (float) (centre[l][i] + noise * (rng.nextDouble() - 0.5));
        return a;
    }

    @Test
    void fractionalIndexInterpolatesNeighbouringLayers() {
        double[][] hc = {{1, 0, 0}, {0, 2, 0}, {0, 0, 4}}, lc = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};
        LayerDirections dirs = new LayerDirections(acts(3, 3, 3, hc, 0, 1), acts(2, 3, 3, lc, 0, 2));
        assertThat(dirs.interpolated(1)).containsExactly(0, 2, 0);
        double[] mid = dirs.interpolated(1.25);   // 0.75 * (0,2,0) + 0.25 * (0,0,4)
        assertThat(mid[0]).isCloseTo(0, within(1e-12));
        assertThat(mid[1]).isCloseTo(1.5, within(1e-12));
        assertThat(mid[2]).isCloseTo(1.0, within(1e-12));
        assertThatThrownBy(() -> dirs.interpolated(2.5)).hasMessageContaining("outside 0..2");
    }

    @Test
    void meanDifferenceMatchesThePipelinesAtTheLastPosition() throws Exception {
        try (Transformer m = Transformer.load(Path.of("models/organism"))) {
            List<int[]> harmful = new ArrayList<>(), harmless = new ArrayList<>();
            SplittableRandom rng = new SplittableRandom(3);
            for (int p = 0; p < 5; p++) {
                harmful.add(rng.ints(6 + p, 0, 3000).toArray());
                harmless.add(rng.ints(9 - p, 0, 3000).toArray());
            }
            LayerDirections dirs = new LayerDirections(LastActivations.residPre(m, harmful, 2), LastActivations.residPre(m, harmless, 3));
            float[][][] expected = MeanActivations.difference(MeanActivations.residPre(m, harmful, 1, 4, null), MeanActivations.residPre(m, harmless, 1, 4, null));
            for (int l = 0; l < m.config.layers; l++) {
                double[] got = dirs.meanDiff(l);
                double scale = 0;
                for (float v : expected[0][l]) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < got.length; i++) assertThat(got[i]).as("layer %d dim %d", l, i).isCloseTo(expected[0][l][i], within(1e-4 * scale + 1e-6));
            }
        }
    }

    @Test
    void basisStartsWithTheMeanDifferenceAndFindsTheLargestSpread() {
        int d = 6, n = 40;
        // harmful = 3·e0 + 2·s1·e1 + 0.5·s2·e2, every sign pair (s1, s2) equally often: the mean is 3·e0, and once
        // r̂ = e0 is removed the spread lies along e1, then e2
        float[][][] harmful = new float[n][1][d];
        for (int p = 0; p < n; p++) {
            harmful[p][0][0] = 3;
            harmful[p][0][1] = p % 2 == 0 ? 2 : -2;
            harmful[p][0][2] = (p / 2) % 2 == 0 ? 0.5f : -0.5f;
        }
        float[][][] harmless = new float[1][1][d];
        LayerDirections dirs = new LayerDirections(harmful, harmless);
        double[][] b = dirs.basis(0, 3);
        assertThat(b).hasNumberOfRows(3);
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) assertThat(Basis.dot(b[i], b[j])).isCloseTo(i == j ? 1 : 0, within(1e-12));
        }
        assertThat(Math.abs(b[0][0])).isCloseTo(1, within(1e-9));
        assertThat(Math.abs(b[1][1])).as("second direction along e1").isCloseTo(1, within(1e-9));
        assertThat(Math.abs(b[2][2])).as("third direction along e2").isCloseTo(1, within(1e-9));
        // only two dimensions of spread besides r̂: a fourth direction cannot be found
        assertThat(dirs.basis(0, 5)).hasNumberOfRows(3);
    }

    @Test
    void orthogonalToHarmlessRemovesTheHarmlessMean() {
        double[][] hc = {{1, 1, 0, 2}}, lc = {{0, 1, 1, 0}};
        LayerDirections dirs = new LayerDirections(acts(4, 1, 4, hc, 0.1, 1), acts(4, 1, 4, lc, 0.1, 2));
        double[][] b = dirs.orthogonalToHarmless(dirs.basis(0, 2), 0);
        double[] m = dirs.harmlessMean(0);
        for (double[] v : b) {
            assertThat(Basis.dot(v, m)).isCloseTo(0, within(1e-12));
            assertThat(Basis.dot(v, v)).isCloseTo(1, within(1e-12));
        }
    }

    @Test
    void jacobiDiagonalisesASymmetricMatrix() {
        SplittableRandom rng = new SplittableRandom(11);
        int n = 7;
        double[][] a = new double[n][n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) a[i][j] = a[j][i] = rng.nextDouble() - 0.5;
        double[][] copy = new double[n][];
        for (int i = 0; i < n; i++) copy[i] = a[i].clone();
        double[][] v = new double[n][n];
        double[] vals = Basis.jacobi(copy, v);
        for (int c = 0; c < n; c++) {
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i][j] * v[j][c];
                assertThat(av).isCloseTo(vals[c] * v[i][c], within(1e-12));
            }
        }
    }
}
