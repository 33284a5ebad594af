package dev.refusal4j.tensor;

/**
 * r̂ = r / |r|, the unit vector of the ablation and orthogonalization formulas: the norm in
 * float64, each component divided in float64 (and, for a float r̂, then rounded to float).
 */
public final class UnitVector {
    private UnitVector() {}

    /** |r| in float64. */
    public static double norm(float[] r) {
        double s = 0;
        for (float v : r) s += (double) v * v;
        return Math.sqrt(s);
    }

    /** |v|. */
    public static double norm(double[] v) {
        double s = 0;
        for (double x : v) s += x * x;
        return Math.sqrt(s);
    }

    /** r̂, or null when r has no direction (zero, NaN or infinite norm). */
    public static float[] orNull(float[] r) {
        double n = norm(r);
        if (!hasDirection(n)) return null;
        float[] u = new float[r.length];
        for (int i = 0; i < r.length; i++) u[i] = (float) (r[i] / n);
        return u;
    }

    /** r̂; a vector with no direction is an error naming {@code what}. */
    public static float[] of(float[] r, String what) {
        float[] u = orNull(r);
        if (u == null) throw noDirection(what, norm(r));
        return u;
    }

    /** r̂ kept in float64, for the weight export, which projects in float64. */
    public static double[] exact(float[] r, String what) {
        double n = norm(r);
        if (!hasDirection(n)) throw noDirection(what, n);
        double[] u = new double[r.length];
        for (int i = 0; i < r.length; i++) u[i] = r[i] / n;
        return u;
    }

    /** v / |v|, in place; returns v. */
    public static double[] normalize(double[] v, String what) {
        double n = norm(v);
        if (!hasDirection(n)) throw noDirection(what, n);
        for (int i = 0; i < v.length; i++) v[i] /= n;
        return v;
    }

    private static boolean hasDirection(double norm) {
        return norm > 0 && Double.isFinite(norm);
    }

    private static IllegalArgumentException noDirection(String what, double norm) {
        return new IllegalArgumentException(what + " is zero or not finite (its norm is " + norm + "): it has no direction");
    }
}
