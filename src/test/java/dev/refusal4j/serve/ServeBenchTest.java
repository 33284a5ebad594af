package dev.refusal4j.serve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The benchmark's arithmetic, from hand-made answers. */
class ServeBenchTest {
    @Test
    void percentilesAreNearestRank() {
        double[] ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertThat(ServeBench.percentile(ten, 50)).isEqualTo(5);
        assertThat(ServeBench.percentile(ten, 90)).isEqualTo(9);
        assertThat(ServeBench.percentile(ten, 99)).isEqualTo(10);
        assertThat(ServeBench.percentile(new double[] {3}, 50)).isEqualTo(3);
        assertThat(ServeBench.percentile(new double[0], 50)).isNaN();
    }

    @Test
    void aSummaryCountsTokensOverTheWallTime() {
        List<ServeBench.Answer> answers = new ArrayList<>();
        long s = 1_000_000_000L;
        for (int i = 1; i <= 4; i++) answers.add(new ServeBench.Answer(i, 0, "p" + i, "id" + i, "t", "stop", 10 * i, 0, s / 10 * i, s * i, true));
        ServeBench.Summary m = ServeBench.Summary.of(4, answers, 5.0);
        assertThat(m.tokens()).isEqualTo(100);
        assertThat(m.tokensPerSecond()).isEqualTo(20.0);
        assertThat(m.p50()).isEqualTo(2.0);
        assertThat(m.p90()).isEqualTo(4.0);
        assertThat(m.firstP50()).isEqualTo(0.2);
        // answer i: 10i - 1 tokens after the first, in 0.9i seconds; the second of the four rates is answer 2's
        assertThat(m.decodeP50()).isCloseTo(19 / 1.8, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(new ServeBench.Load(List.of("a", "b", "c"), 2, 2, 8, null, java.time.Duration.ofSeconds(1)).prompt(1, 1)).isEqualTo("a");
    }
}
