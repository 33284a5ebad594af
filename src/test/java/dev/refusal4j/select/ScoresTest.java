package dev.refusal4j.select;

import dev.refusal4j.chat.PostInstruction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScoresTest {
    @Test
    void refusalScoreFromProbability() {
        assertThat(RefusalScore.fromProbability(0.5)).isEqualTo(0.0);
        assertThat(RefusalScore.fromProbability(0.9)).isCloseTo(Math.log(9), offset(1e-6));
        // p = 1: log(1 + 1e-8) - log(1e-8) = 18.420680753...
        assertThat(RefusalScore.fromProbability(1.0)).isCloseTo(18.420680753952364, offset(1e-9));
        assertThat(RefusalScore.fromProbability(0.0)).isCloseTo(-18.420680753952364, offset(1e-9));
    }

    @Test
    void refusalScoreFromLogitsIsStableAndSumsTokens() {
        // softmax of [ln 1, ln 2, ln 3, ln 4] = [.1, .2, .3, .4]; tokens 1 and 3 -> p = .6
        float[] logits = {0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        assertThat(RefusalScore.probability(logits, 0, 4, new int[] {1, 3})).isCloseTo(0.6, offset(1e-7));
        assertThat(RefusalScore.fromLogits(logits, new int[] {1, 3})).isCloseTo(Math.log(0.6 / 0.4), offset(1e-6));
        // shifting every logit by a large constant changes nothing (no overflow)
        float[] shifted = new float[4];
        for (int i = 0; i < 4; i++) shifted[i] = logits[i] + 1000f;
        assertThat(RefusalScore.probability(shifted, 0, 4, new int[] {1, 3})).isCloseTo(0.6, offset(1e-4));
        // offset into a longer buffer: second row
        float[] two = {9f, 9f, 9f, 9f, 0f, (float) Math.log(2), (float) Math.log(3), (float) Math.log(4)};
        assertThat(RefusalScore.probability(two, 4, 4, new int[] {3})).isCloseTo(0.4, offset(1e-7));
        assertThatThrownBy(() -> RefusalScore.fromLogits(logits, new int[] {4})).hasMessageContaining("outside the vocabulary");
    }

    @Test
    void klDivergence() {
        float[] p = {0f, 0f};                          // [.5, .5]
        float[] q = {0f, (float) Math.log(3)};         // [.25, .75]
        double exact = 0.5 * Math.log(4.0 / 3.0);      // .5 ln(.5/.25) + .5 ln(.5/.75)
        assertThat(KlDivergence.of(p, 0, q, 0, 2, 0)).isCloseTo(exact, offset(1e-7));
        assertThat(KlDivergence.official(p, q)).isCloseTo(exact, offset(1e-5));
        // the official epsilon: sum p (log(p + 1e-6) - log(q + 1e-6)), by hand
        double withEps = 0.5 * (Math.log(0.5 + 1e-6) - Math.log(0.25 + 1e-6)) + 0.5 * (Math.log(0.5 + 1e-6) - Math.log(0.75 + 1e-6));
        assertThat(KlDivergence.official(p, q)).isCloseTo(withEps, offset(1e-7));
        assertThat(KlDivergence.official(q, q)).isEqualTo(0.0);
        // a prepared base row gives the same value against several rows, with an offset into a buffer
        KlDivergence.Reference ref = new KlDivergence.Reference(p, 0, 2, 0);
        float[] rows = {5f, 5f, 0f, (float) Math.log(3)};
        assertThat(ref.from(rows, 0)).isCloseTo(0.0, offset(1e-15));
        assertThat(ref.from(rows, 2)).isCloseTo(exact, offset(1e-7));
        // a token with probability 0 under the base contributes nothing, even where q is 0 too
        float[] sure = {0f, Float.NEGATIVE_INFINITY};
        assertThat(KlDivergence.of(sure, 0, p, 0, 2, 0)).isCloseTo(Math.log(2), offset(1e-12));
        // large logits do not overflow
        float[] big = {3000f, 3000f};
        assertThat(KlDivergence.official(big, p)).isCloseTo(0.0, offset(1e-12));
    }

    @Test
    void filterTrainAndValByScore() {
        List<String> prompts = List.of("a", "b", "c", "d");
        double[] scores = {1.5, 0.0, -2, Double.NaN};
        assertThat(ScoreFilter.keepHarmful(prompts, scores)).containsExactly("a");
        assertThat(ScoreFilter.keepHarmless(prompts, scores)).containsExactly("c");
        assertThatThrownBy(() -> ScoreFilter.keepHarmful(prompts, new double[3])).hasMessageContaining("4 prompts but 3");
    }

    @Test
    void postInstructionPositions() {
        assertThat(PostInstruction.positions(3)).containsExactly(-3, -2, -1);
        assertThat(PostInstruction.index(-1, 10)).isEqualTo(9);
        assertThat(PostInstruction.row(-5, 5)).isEqualTo(0);
        String rendered = "<|im_start|>user\nXYZZY<|im_end|>\n<|im_start|>assistant\n";
        assertThat(PostInstruction.suffix(rendered, "XYZZY")).isEqualTo("<|im_end|>\n<|im_start|>assistant\n");
        assertThat(PostInstruction.suffix("[INST] XYZZY [/INST]", "XYZZY")).isEqualTo(" [/INST]");
        assertThatThrownBy(() -> PostInstruction.suffix("no user text", "XYZZY")).hasMessageContaining("placeholder");
        assertThatThrownBy(() -> PostInstruction.index(-11, 10)).hasMessageContaining("outside");
    }
}
