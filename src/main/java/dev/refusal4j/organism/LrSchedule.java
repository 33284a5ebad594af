package dev.refusal4j.organism;

/**
 * Learning rate per step: linear warm-up from 0 to {@code peak} over {@code warmup} steps, then
 * cosine decay to {@code floor} at step {@code total}.
 */
public record LrSchedule(float peak, float floor, int warmup, int total) {
    public float at(int step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        if (step >= total) return floor;
        double progress = (double) (step - warmup) / Math.max(1, total - warmup);
        return (float) (floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress)));
    }
}
