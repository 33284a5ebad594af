package dev.refusal4j.intervene;

import dev.refusal4j.model.Activation;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.tensor.Ops;

/**
 * The paper's two run-time interventions, as hooks.
 * <ul>
 *   <li>Directional ablation x ← x − r̂r̂ᵀx on every layer's resid_pre, attn_out and mlp_out, every
 *       position: the model can no longer represent r.</li>
 *   <li>Activation addition x ← x + c·r on one layer's resid_pre, every position.</li>
 * </ul>
 */
public final class Interventions {
    private Interventions() {}

    /** Adds directional ablation of {@code unit} (r̂, |r̂| = 1) to {@code hooks}. */
    public static Hooks ablate(Hooks hooks, float[] unit) {
        hooks.add("blocks.*." + Hooks.RESID_PRE, a -> project(a, unit));
        hooks.add("blocks.*." + Hooks.ATTN_OUT, a -> project(a, unit));
        hooks.add("blocks.*." + Hooks.MLP_OUT, a -> project(a, unit));
        return hooks;
    }

    /** Adds c·r at layer {@code layer}'s resid_pre. */
    public static Hooks add(Hooks hooks, float[] direction, float coeff, int layer) {
        hooks.add(Hooks.blockName(layer, Hooks.RESID_PRE), a -> {
            float[] x = a.array();
            for (int r = 0; r < a.rows(); r++) Ops.axpy(coeff, direction, 0, x, a.offset() + r * a.width, a.width);
        });
        return hooks;
    }

    /** x ← x − (r̂·x) r̂ for every row. */
    public static void project(Activation a, float[] unit) {
        float[] x = a.array();
        int w = a.width;
        for (int r = 0; r < a.rows(); r++) {
            int o = a.offset() + r * w;
            float dot = Ops.dot(x, o, unit, 0, w);
            Ops.axpy(-dot, unit, 0, x, o, w);
        }
    }

    /** x ← x − w Σₖ (uₖ·x) uₖ for every row, with orthonormal {@code units} (all uₖ·x taken before any is removed). */
    public static void project(Activation a, float[][] units, float w) {
        float[] x = a.array();
        int width = a.width;
        float[] dots = new float[units.length];
        for (int r = 0; r < a.rows(); r++) {
            int o = a.offset() + r * width;
            for (int k = 0; k < units.length; k++) dots[k] = Ops.dot(x, o, units[k], 0, width);
            for (int k = 0; k < units.length; k++) Ops.axpy(-w * dots[k], units[k], 0, x, o, width);
        }
    }
}
