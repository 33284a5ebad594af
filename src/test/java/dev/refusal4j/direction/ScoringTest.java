package dev.refusal4j.direction;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ScoringTest {
    @Test
    void refusalScoreIsTheLogOddsOfTheRefusalTokens() {
        // softmax([0, ln 3, 0, 0]) = [1/6, 1/2, 1/6, 1/6]; refusal tokens {1, 2}: p = 2/3, log-odds = ln 2
        float[] logits = {0f, (float) Math.log(3), 0f, 0f};
        assertThat(Scoring.refusalScore(logits, new int[] {1, 2})).isCloseTo(Math.log(2), within(1e-6));
        assertThat(Scoring.refusalScore(logits, new int[] {0})).isCloseTo(Math.log(0.2), within(1e-6));
    }

    @Test
    void klOfTwoKnownDistributions() {
        float[] a = {0f, 0f};                     // (1/2, 1/2)
        float[] b = {0f, (float) Math.log(3)};    // (1/4, 3/4)
        double expect = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
        assertThat(Scoring.kl(a, b)).isCloseTo(expect, within(1e-5));
        assertThat(Scoring.kl(b, b)).isCloseTo(0, within(1e-12));
    }
}
