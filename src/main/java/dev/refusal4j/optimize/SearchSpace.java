package dev.refusal4j.optimize;

import dev.refusal4j.intervene.AblationKernel;
import dev.refusal4j.intervene.PartialAblation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters a search varies, each with its range, and how one point becomes a
 * {@link PartialAblation}: which direction (fractional layer index, how many directions,
 * orthogonalised against the harmless mean or not), how strongly each layer's attention and MLP
 * outputs lose it (an {@link AblationKernel} each; the minimum weight is a fraction of the
 * maximum, so min ≤ max), and whether edited columns keep their norms.
 */
public final class SearchSpace {
    /** A parameter: numbers in [low, high] (integers when {@code integer}), or categories 0..count−1 named by {@code choices}. */
    public record Param(String name, double low, double high, boolean integer, List<String> choices, String meaning) {
        public boolean categorical() {
            return choices != null;
        }

        /** Checks a value read from a journal or given by a user. */
        public void check(double v) {
            boolean ok = categorical() ? v == Math.rint(v) && v >= 0 && v < choices.size() : v >= low && v <= high && (!integer || v == Math.rint(v));
            if (!ok) {
                throw new IllegalArgumentException("parameter " + name + " = " + v + " is outside its range "
                        + (categorical() ? "0.." + (choices.size() - 1) + " " + choices : "[" + low + ", " + high + "]"));
            }
        }
    }

    public static final String INDEX = "direction_index", COUNT = "directions", PROJECTION = "projection", NORM = "norm_preserving";
    public static final List<String> PROJECTIONS = List.of("none", "harmless_mean", "biprojected");
    static final String[] KERNEL = {"max_weight", "max_weight_position", "min_weight_fraction", "min_weight_distance"};
    public static final int MAX_DIRECTIONS = 3;

    public final int layers;
    public final List<Param> params;

    public SearchSpace(int layers) {
        if (layers < 2) throw new IllegalArgumentException("a search needs a model of at least 2 layers, got " + layers);
        this.layers = layers;
        double last = layers - 1;
        List<Param> p = new java.util.ArrayList<>();
        p.add(new Param(INDEX, 0, last, false, null, "layer of the difference in means, interpolated between neighbours"));
        p.add(new Param(COUNT, 1, MAX_DIRECTIONS, true, null, "directions removed: the difference in means, then principal components"));
        p.add(new Param(PROJECTION, 0, 0, false, PROJECTIONS, "orthogonalised against no, the source layer's, or each target layer's harmless mean"));
        p.add(new Param(NORM, 0, 0, false, List.of("false", "true"), "edited columns keep their norms"));
        for (String block : new String[] {"attn", "mlp"}) {
            p.add(new Param(block + "_" + KERNEL[0], 0, 1.5, false, null, "weight at the peak layer"));
            p.add(new Param(block + "_" + KERNEL[1], 0, last, false, null, "peak layer"));
            p.add(new Param(block + "_" + KERNEL[2], 0, 1, false, null, "weight at the edge, as a fraction of the peak weight"));
            p.add(new Param(block + "_" + KERNEL[3], 1, Math.max(2, last), false, null, "layers from the peak to the edge; beyond it the weight is 0"));
        }
        this.params = List.copyOf(p);
    }

    /**
     * The paper's edit as a point of this space: one direction, the difference in means at
     * {@code layer} (the last prompt token's: the space holds no other position), not
     * orthogonalised, removed with weight 1 from every layer's attention and MLP outputs (the peak
     * at {@code layer}, the weight at the edge equal to the peak's, the edge as far as the space
     * allows, which reaches every layer), columns not rescaled.
     */
    public Map<String, Double> paperPoint(int layer) {
        if (layer < 0 || layer >= layers) throw new IllegalArgumentException("layer " + layer + " is outside 0.." + (layers - 1));
        Map<String, Double> v = new LinkedHashMap<>();
        v.put(INDEX, (double) layer);
        v.put(COUNT, 1.0);
        v.put(PROJECTION, (double) PROJECTIONS.indexOf("none"));
        v.put(NORM, 0.0);
        for (String block : new String[] {"attn", "mlp"}) {
            v.put(block + "_" + KERNEL[0], 1.0);
            v.put(block + "_" + KERNEL[1], (double) layer);
            v.put(block + "_" + KERNEL[2], 1.0);
            v.put(block + "_" + KERNEL[3], param(block + "_" + KERNEL[3]).high());
        }
        check(v);
        return v;
    }

    private Param param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    /** Checks that {@code values} names every parameter once, each in its range. */
    public void check(Map<String, Double> values) {
        for (Param p : params) {
            Double v = values.get(p.name());
            if (v == null) throw new IllegalArgumentException("parameter " + p.name() + " is missing");
            p.check(v);
        }
        for (String k : values.keySet()) if (params.stream().noneMatch(p -> p.name().equals(k))) throw new IllegalArgumentException("unknown parameter " + k);
    }

    /** The edit a point describes. */
    public PartialAblation edit(Map<String, Double> v, LayerDirections dirs) {
        check(v);
        double[][] source = dirs.basis(v.get(INDEX), (int) Math.round(v.get(COUNT)));
        String projection = PROJECTIONS.get((int) Math.round(v.get(PROJECTION)));
        double[][][] basis = new double[layers][][];
        for (int l = 0; l < layers; l++) {
            basis[l] = switch (projection) {
                case "none" -> source;
                case "harmless_mean" -> dirs.orthogonalToHarmless(source, (int) Math.round(v.get(INDEX)));
                default -> dirs.orthogonalToHarmless(source, l);
            };
        }
        return new PartialAblation(basis, kernel(v, "attn").weights(layers), kernel(v, "mlp").weights(layers), v.get(NORM) >= 0.5);
    }

    static AblationKernel kernel(Map<String, Double> v, String block) {
        double max = v.get(block + "_" + KERNEL[0]);
        return new AblationKernel(max, v.get(block + "_" + KERNEL[1]), max * v.get(block + "_" + KERNEL[2]), v.get(block + "_" + KERNEL[3]));
    }

    /** One line describing a point (for the model card and the metadata). */
    public static String describe(Map<String, Double> v) {
        StringBuilder sb = new StringBuilder();
        for (var e : new LinkedHashMap<>(v).entrySet()) sb.append(sb.isEmpty() ? "" : ", ").append(e.getKey()).append('=').append(format(e.getValue()));
        return sb.toString();
    }

    static String format(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(java.util.Locale.ROOT, "%.4f", v);
    }
}
