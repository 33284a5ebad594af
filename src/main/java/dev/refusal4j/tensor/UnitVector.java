package dev.refusal4j.tensor;

/**
 * r̂ = r / |r|, the unit vector of the ablation and orthogonalization formulas: the norm in
 * float64, each component divided in float64 and then rounded to float.
 */
public final class UnitVector {
    private UnitVector() {}

    /** |r| in float64. */
    public static double norm(float[] r) {
        double s = 0;
        for (float v : r) s += (double) v * v;
        return Math.sqrt(s);
    }

    /** r̂, or null when r has no direction (zero, NaN or infinite norm). */
    public static float[] orNull(float[] r) {
        double n = norm(r);
        if (!(n > 0) || !Double.isFinite(n)) return null;
        float[] u = new float[r.length];
        for (int i = 0; i < r.length; i++) u[i] = (float) (r[i] / n);
        return u;
    }

    /** r̂; a vector with no direction is an error naming {@code what}. */
    public static float[] of(float[] r, String what) {
        float[] u = orNull(r);
        if (u == null) throw new IllegalArgumentException(what + " has no direction (its norm is " + norm(r) + ")");
        return u;
    }
}
