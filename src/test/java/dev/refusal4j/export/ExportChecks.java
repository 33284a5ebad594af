package dev.refusal4j.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.UnitVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Shared helpers of the export tests: directions, forward passes, file snapshots, orthogonality bounds. */
final class ExportChecks {
    private ExportChecks() {}

    /** A seeded Gaussian direction with norm 3 (not unit, so that normalization is exercised). */
    static RefusalDirection randomDirection(int d, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[d];
        double s = 0;
        for (int i = 0; i < d; i++) {
            double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble())) * Math.cos(2 * Math.PI * rnd.nextDouble());
            v[i] = (float) g;
            s += g * g;
        }
        for (int i = 0; i < d; i++) v[i] = (float) (v[i] * 3 / Math.sqrt(s));
        return new RefusalDirection(v, 1, -1, Map.of("model", "test", "seed", Long.toString(seed)));
    }

    static int[][] sequences(Path modelDir) throws IOException {
        JsonNode seqs = new ObjectMapper().readTree(modelDir.resolve("ids.json").toFile()).get("sequences");
        int[][] out = new int[seqs.size()][];
        for (int s = 0; s < out.length; s++) {
            out[s] = new int[seqs.get(s).size()];
            for (int t = 0; t < out[s].length; t++) out[s][t] = seqs.get(s).get(t).asInt();
        }
        return out;
    }

    static float[] logits(Transformer m, int[] ids, Hooks hooks) {
        return m.forward(Forward.of(ids).hooks(hooks));
    }

    /** max |a - ref| / max |ref|. */
    static double rel(float[] a, float[] ref) {
        double diff = 0, max = 0;
        for (int i = 0; i < ref.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - ref[i]));
            max = Math.max(max, Math.abs(ref[i]));
        }
        return diff / max;
    }

    /** SHA-256 and mtime of every file under dir, to prove an input was not written. */
    static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                FileTime mtime = Files.getLastModifiedTime(p);
                out.put(dir.relativize(p).toString(), sha256(Files.readAllBytes(p)) + " " + mtime.toMillis());
            }
        }
        return out;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Result of an orthogonality check: the achieved residual and the rounding bound it must stay under. */
    record Residual(double residual, double bound, double before) {}

    /**
     * For a Linear weight W' [d, n] (output side): ‖uᵀW'‖ against the rounding bound
     * ε·‖(Σ_i |u_i W'_ij|)_j‖·2 (each stored element is W*_ij(1+δ), |δ| ≤ ε, and uᵀW* = 0).
     * {@code before} is ‖uᵀW‖ of the input weight, for scale.
     */
    static Residual outputResidual(Matrix w, Matrix original, double[] u) {
        double[] s = new double[w.cols], a = new double[w.cols], s0 = new double[w.cols];
        for (int i = 0; i < w.rows; i++) {
            for (int j = 0; j < w.cols; j++) {
                double v = w.get(i, j);
                s[j] += u[i] * v;
                a[j] += Math.abs(u[i] * v);
                s0[j] += u[i] * original.get(i, j);
            }
        }
        return new Residual(norm(s), 2 * ExportVerifier.roundoff(w.dtype) * norm(a) + 1e-30, norm(s0));
    }

    /** For rows (embedding, bias): the largest |u·row| minus its own rounding bound 2ε Σ|u_j row_j|, as a residual/bound pair. */
    static Residual rowsResidual(Matrix w, Matrix original, double[] u) {
        double worstRatio = -1, worstRes = 0, worstBound = 1, before = 0;
        for (int i = 0; i < w.rows; i++) {
            double dot = 0, abs = 0, dot0 = 0;
            for (int j = 0; j < w.cols; j++) {
                double v = w.get(i, j);
                dot += u[j] * v;
                abs += Math.abs(u[j] * v);
                dot0 += u[j] * original.get(i, j);
            }
            double bound = 2 * ExportVerifier.roundoff(w.dtype) * abs + 1e-30;
            before = Math.max(before, Math.abs(dot0));
            if (Math.abs(dot) / bound > worstRatio) {
                worstRatio = Math.abs(dot) / bound;
                worstRes = Math.abs(dot);
                worstBound = bound;
            }
        }
        return new Residual(worstRes, worstBound, before);
    }

    static double norm(double[] v) {
        return UnitVector.norm(v);
    }

    static double[] unit(RefusalDirection r) {
        return UnitVector.exact(r.vector(), "the direction");
    }

    static boolean isBf16(Matrix m) {
        return m.dtype == DType.BF16;
    }

    /** Largest |r̂·x| / |x| over every position of every resid_pre, resid_mid and resid_post. */
    static double maxComponent(Transformer m, int[] ids, double[] u) {
        double[] worst = {0};
        Hooks h = new Hooks();
        for (String p : new String[] {Hooks.RESID_PRE, Hooks.RESID_MID, Hooks.RESID_POST}) {
            h.add("blocks.*." + p, a -> {
                float[] x = a.copy();
                for (int r = 0; r < a.rows(); r++) {
                    double dot = 0, nn = 0;
                    for (int j = 0; j < a.width; j++) {
                        dot += u[j] * x[r * a.width + j];
                        nn += (double) x[r * a.width + j] * x[r * a.width + j];
                    }
                    worst[0] = Math.max(worst[0], Math.abs(dot) / Math.sqrt(nn));
                }
            });
        }
        ExportChecks.logits(m, ids, h);
        return worst[0];
    }
}
