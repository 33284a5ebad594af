package dev.refusal4j.intervene;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.Hooks;

import java.util.function.Supplier;

/** The model as the paper runs it: unchanged, with r̂ ablated everywhere, or with c·r added at the direction's layer. */
public enum Condition {
    BASELINE, ABLATION, ACTADD;

    /** The name used in file names and metrics ("baseline", "ablation", "actadd"). */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Hooks of this condition, fresh for every forward call (null: none).
     *
     * @param coeff the multiple of r that {@link #ACTADD} adds (ignored otherwise)
     */
    public Supplier<Hooks> hooks(RefusalDirection dir, float coeff) {
        return switch (this) {
            case BASELINE -> () -> null;
            case ABLATION -> {
                float[] unit = dir.unit();
                yield () -> Interventions.ablate(new Hooks(), unit);
            }
            case ACTADD -> () -> Interventions.add(new Hooks(), dir.vector(), coeff, dir.layer());
        };
    }
}
