package dev.refusal4j.select;

/**
 * The three scores of one candidate direction r(position, layer), as in the paper's
 * {@code direction_evaluations.json}.
 *
 * @param position  post-instruction position, negative: -n..-1 counted from the end of the prompt
 * @param layer     layer whose resid_pre the mean difference was taken at, 0-based
 * @param bypass    mean refusal score on harmful val prompts with the direction ablated ("refusal_score")
 * @param induce    mean refusal score on harmless val prompts with the direction added at its layer ("steering_score")
 * @param kl        mean KL(base || ablated) on harmless val prompts at the last position ("kl_div_score")
 * @param stoppedBy the filter that removed the candidate before all three scores were computed (the scores
 *                  not computed are NaN); null when every score was computed
 */
public record CandidateScore(int position, int layer, double bypass, double induce, double kl, Filter stoppedBy) {
    public CandidateScore {
        if (position >= 0) throw new IllegalArgumentException("position must be negative (-n..-1), got " + position);
        if (layer < 0) throw new IllegalArgumentException("layer must be >= 0, got " + layer);
    }

    /** A candidate with every score computed. */
    public CandidateScore(int position, int layer, double bypass, double induce, double kl) {
        this(position, layer, bypass, induce, kl, null);
    }

    public boolean hasNaN() {
        return Double.isNaN(bypass) || Double.isNaN(induce) || Double.isNaN(kl);
    }
}
