package dev.refusal4j.export;

import dev.refusal4j.io.TensorSource;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.TensorNames;
import dev.refusal4j.tensor.UnitVector;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which tensors write to the residual stream and the unit vector each must become orthogonal to.
 * <ul>
 *   <li>{@link Kind#ROWS}: the token embedding; every row e is written into the residual stream,
 *       so e ← e − (u·e) u. Gemma's sqrt(d) scale does not change a row's direction.</li>
 *   <li>{@link Kind#OUTPUT}: a Hugging Face Linear weight W [d, d_in] whose output W·x is added to
 *       the residual stream: W ← W − u(uᵀW), i.e. every column loses its u component.</li>
 *   <li>{@link Kind#VECTOR}: that Linear's bias b [d]: b ← b − (u·b) u.</li>
 * </ul>
 * With a norm between projection and residual add (Gemma-2's post-attention and post-feedforward
 * RMSNorms, y ↦ y / rms(y) ⊙ g with g = 1 + w), the norm's output has no r̂ component exactly when
 * (g ⊙ r̂)·y = 0, so the projection is orthogonalized against u = normalize(g ⊙ r̂) instead of r̂.
 */
final class OrthogonalPlan {
    enum Kind { ROWS, OUTPUT, VECTOR }

    /** u has as many entries as the dimension that is projected: columns for ROWS/VECTOR, rows for OUTPUT. */
    record Target(Kind kind, double[] unit) {}

    final Map<String, Target> targets = new LinkedHashMap<>();

    /** @param unit r̂ in float64, |r̂| = 1, of length hidden_size */
    OrthogonalPlan(ModelConfig c, TensorSource f, double[] unit) {
        TensorNames n = new TensorNames(c);
        targets.put(n.embed(), new Target(Kind.ROWS, unit));
        for (int l = 0; l < c.layers; l++) {
            double[] uAttn = c.sandwichNorms ? throughNorm(f.floats(n.postAttnNorm(l), c.hidden), unit, c.normPlusOne) : unit;
            double[] uMlp = c.sandwichNorms ? throughNorm(f.floats(n.postMlpNorm(l), c.hidden), unit, c.normPlusOne) : unit;
            put(f, n, n.o(l), uAttn);
            put(f, n, n.down(l), uMlp);
        }
    }

    private void put(TensorSource f, TensorNames n, String weight, double[] u) {
        targets.put(weight, new Target(Kind.OUTPUT, u));
        String bias = n.bias(weight);
        if (f.has(bias)) targets.put(bias, new Target(Kind.VECTOR, u));
    }

    /** normalize(g ⊙ r̂) with g = 1 + w (Gemma's norms) or w. */
    static double[] throughNorm(float[] w, double[] unit, boolean plusOne) {
        double[] u = new double[unit.length];
        for (int i = 0; i < u.length; i++) u[i] = ((plusOne ? 1.0 : 0.0) + w[i]) * unit[i];
        return UnitVector.normalize(u, "the direction seen through the post-norm weights");
    }
}
