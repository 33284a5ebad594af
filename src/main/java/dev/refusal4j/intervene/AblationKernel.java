package dev.refusal4j.intervene;

/**
 * How strongly each layer's writes lose the refusal direction, as heretic parametrises it: the
 * weight is {@code maxWeight} at layer {@code maxPosition} (fractional), falls linearly to
 * {@code minWeight} at {@code minDistance} layers from it, and is 0 beyond. Four numbers instead of
 * one per layer keep the search space small and the edit smooth over depth.
 */
public record AblationKernel(double maxWeight, double maxPosition, double minWeight, double minDistance) {
    public AblationKernel {
        if (!(maxWeight >= 0 && maxWeight <= MAX_WEIGHT)) throw new IllegalArgumentException("max weight " + maxWeight + " is outside 0.." + MAX_WEIGHT);
        if (!(minWeight >= 0 && minWeight <= MAX_WEIGHT)) throw new IllegalArgumentException("min weight " + minWeight + " is outside 0.." + MAX_WEIGHT);
        if (!(maxPosition >= 0 && Double.isFinite(maxPosition))) throw new IllegalArgumentException("max weight position " + maxPosition + " must be a layer index >= 0");
        if (!(minDistance > 0 && Double.isFinite(minDistance))) throw new IllegalArgumentException("min weight distance " + minDistance + " must be > 0 layers");
    }

    /** Beyond 2 the edit overshoots: x − 2(u·x)u reflects x, more amplifies the opposite of refusal. */
    public static final double MAX_WEIGHT = 2.0;

    /** Every layer fully ablated (the paper's weight orthogonalization of the writes). */
    public static AblationKernel full(int layers) {
        return new AblationKernel(1, 0, 1, Math.max(1, layers));
    }

    public double weight(int layer) {
        double dist = Math.abs(layer - maxPosition);
        if (dist > minDistance) return 0;
        return maxWeight + dist / minDistance * (minWeight - maxWeight);
    }

    public double[] weights(int layers) {
        double[] w = new double[layers];
        for (int l = 0; l < layers; l++) w[l] = weight(l);
        return w;
    }
}
