package dev.refusal4j.serve;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.model.Hooks;

import java.util.Locale;

/**
 * How one answer is steered by the server's direction r: not at all, directional ablation
 * x ← x − r̂r̂ᵀx (resid_pre, attn_out and mlp_out), or x ← x ± c·r at resid_pre, on the layers
 * {@code from..to}. Ablation defaults to every layer, as {@code generate --ablate}; addition and
 * subtraction to the direction's own layer, as {@code generate --add}.
 */
public record Steering(Mode mode, float coeff, int from, int to) {
    public enum Mode {
        NONE, ABLATE, ADD, SUBTRACT;

        /** The mode named by {@code text}; {@code param} names the option or field in the error. */
        public static Mode parse(String text, String param) {
            return switch (text.strip().toLowerCase(Locale.ROOT)) {
                case "none" -> NONE;
                case "ablate" -> ABLATE;
                case "add" -> ADD;
                case "subtract" -> SUBTRACT;
                default -> throw ApiError.invalid(param, param + " must be one of none, ablate, add, subtract; got '" + text + "'");
            };
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Steering NONE = new Steering(Mode.NONE, 0f, 0, -1);

    /** The names of the three settings in error messages: command line options or request fields. */
    record Names(String mode, String coeff, String layers) {
        static final Names OPTIONS = new Names("--mode", "--coeff", "--layers");
        static final Names REQUEST = new Names("refusal4j.steering", "refusal4j.coeff", "refusal4j.layers");
    }

    /**
     * Checks a mode, coefficient and layer range ("A-B" or "L", null: the mode's default) against
     * the direction (null when the server has none) and a model of {@code modelLayers} layers.
     *
     * @throws ApiError naming the option or field at fault
     */
    static Steering resolve(Mode mode, Float coeff, String layers, RefusalDirection direction, int modelLayers, Names names) {
        if (mode == Mode.NONE) {
            if (coeff != null || layers != null) throw ApiError.invalid(coeff != null ? names.coeff : names.layers,
                    (coeff != null ? names.coeff : names.layers) + " is given but " + names.mode + " is none");
            return NONE;
        }
        if (direction == null) {
            throw ApiError.invalid(names.mode, names.mode + " " + mode.label() + " needs a direction, and the server was started without --direction");
        }
        if (mode == Mode.ABLATE && coeff != null && coeff != 1f) {
            throw ApiError.invalid(names.coeff, names.coeff + " applies to add and subtract; ablation removes the direction entirely (got " + coeff + ")");
        }
        float c = coeff == null ? 1f : coeff;
        if (!Float.isFinite(c)) throw ApiError.invalid(names.coeff, names.coeff + " must be a finite number, got " + coeff);
        int from = mode == Mode.ABLATE ? 0 : direction.layer(), to = mode == Mode.ABLATE ? modelLayers - 1 : direction.layer();
        if (layers != null) {
            String[] ab = layers.strip().split("-", -1);
            try {
                if (ab.length > 2) throw new NumberFormatException();
                from = Integer.parseInt(ab[0].strip());
                to = ab.length == 2 ? Integer.parseInt(ab[1].strip()) : from;
            } catch (NumberFormatException e) {
                throw ApiError.invalid(names.layers, names.layers + " must be A-B or L (layer numbers from 0), got '" + layers + "'");
            }
            if (from < 0 || to >= modelLayers || from > to) {
                throw ApiError.invalid(names.layers, names.layers + " " + layers + " is not a range within the model's layers 0-" + (modelLayers - 1));
            }
        }
        return new Steering(mode, mode == Mode.ABLATE ? 1f : c, from, to);
    }

    /**
     * Fresh hooks for one generation, or null for none. {@code unit} is r̂ of {@code direction}.
     * Ablation at every layer is {@link Interventions#ablate} itself, so that its answers are
     * {@code generate --ablate}'s.
     */
    Hooks hooks(RefusalDirection direction, float[] unit, int modelLayers) {
        if (mode == Mode.NONE) return null;
        Hooks h = new Hooks();
        if (mode == Mode.ABLATE && from == 0 && to == modelLayers - 1) return Interventions.ablate(h, unit);
        for (int l = from; l <= to; l++) {
            switch (mode) {
                case ABLATE -> {
                    for (String point : new String[] {Hooks.RESID_PRE, Hooks.ATTN_OUT, Hooks.MLP_OUT}) {
                        h.add(Hooks.blockName(l, point), a -> Interventions.project(a, unit));
                    }
                }
                case ADD -> Interventions.add(h, direction.vector(), coeff, l);
                case SUBTRACT -> Interventions.add(h, direction.vector(), -coeff, l);
                case NONE -> throw new AssertionError();
            }
        }
        return h;
    }

    /** One line for logs and responses, e.g. "add 1.5 × r at layer 3". */
    public String describe() {
        String at = from == to ? "layer " + from : "layers " + from + "-" + to;
        return switch (mode) {
            case NONE -> "none";
            case ABLATE -> "ablate r̂ at " + at;
            case ADD, SUBTRACT -> mode.label() + " " + coeff + " × r at " + at;
        };
    }
}
