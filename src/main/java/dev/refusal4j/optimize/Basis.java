package dev.refusal4j.optimize;

import dev.refusal4j.tensor.UnitVector;

import java.util.List;

/** Orthonormal bases in float64: Gram–Schmidt, and principal components by a Jacobi eigensolver. */
final class Basis {
    /** A vector whose norm falls below this share of its norm before orthogonalisation is taken as dependent. */
    static final double DEPENDENT = 1e-6;

    private Basis() {}

    static double[] unit(double[] v, String what) {
        return UnitVector.normalize(v.clone(), what);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** x ← x − Σ (u·x) u over orthonormal {@code units} (twice: one pass leaves rounding along them). */
    static void removeFrom(double[] x, List<double[]> units) {
        for (int pass = 0; pass < 2; pass++) {
            for (double[] u : units) {
                double c = dot(x, u);
                for (int i = 0; i < x.length; i++) x[i] -= c * u[i];
            }
        }
    }

    /** Adds v, made orthogonal to {@code out} and normalised, unless it lies (nearly) in their span. */
    static boolean addOrthonormal(List<double[]> out, double[] v) {
        double before = Math.sqrt(dot(v, v));
        double[] x = v.clone();
        removeFrom(x, out);
        double n = Math.sqrt(dot(x, x));
        if (!(n > DEPENDENT * before) || n == 0) return false;
        for (int i = 0; i < x.length; i++) x[i] /= n;
        out.add(x);
        return true;
    }

    /**
     * The top {@code k} right singular vectors of {@code rows} (uncentred principal components),
     * largest first, each signed so that its largest entry is positive. Computed from the
     * n × n Gram matrix: prompts are far fewer than dimensions.
     */
    static double[][] principal(double[][] rows, int k) {
        int n = rows.length, d = rows[0].length;
        double[][] g = new double[n][n];
        for (int a = 0; a < n; a++) for (int b = a; b < n; b++) g[a][b] = g[b][a] = dot(rows[a], rows[b]);
        double[][] vecs = new double[n][n];
        double[] vals = jacobi(g, vecs);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(vals[y], vals[x]));
        int m = Math.min(k, n);
        double[][] out = new double[m][];
        for (int j = 0; j < m; j++) {
            int c = order[j];
            double[] v = new double[d];
            for (int a = 0; a < n; a++) for (int i = 0; i < d; i++) v[i] += vecs[a][c] * rows[a][i];
            int big = 0;
            for (int i = 1; i < d; i++) if (Math.abs(v[i]) > Math.abs(v[big])) big = i;
            if (v[big] < 0) for (int i = 0; i < d; i++) v[i] = -v[i];
            out[j] = v;
        }
        return out;
    }

    /** Eigenvalues of symmetric {@code a} (destroyed); eigenvectors into the columns of {@code v}. Cyclic Jacobi rotations. */
    static double[] jacobi(double[][] a, double[][] v) {
        int n = a.length;
        for (int i = 0; i < n; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++) {
                diag += a[i][i] * a[i][i];
                for (int j = i + 1; j < n; j++) off += a[i][j] * a[i][j];
            }
            if (off <= 1e-30 * diag || off == 0) break;
            for (int p = 0; p < n; p++) {
                for (int q = p + 1; q < n; q++) {
                    if (a[p][q] == 0) continue;
                    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++) {
                        double akp = a[k][p], akq = a[k][q];
                        a[k][p] = c * akp - s * akq;
                        a[k][q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++) {
                        double apk = a[p][k], aqk = a[q][k];
                        a[p][k] = c * apk - s * aqk;
                        a[q][k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++) {
                        double vkp = v[k][p], vkq = v[k][q];
                        v[k][p] = c * vkp - s * vkq;
                        v[k][q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = a[i][i];
        return out;
    }
}
