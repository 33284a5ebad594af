package dev.refusal4j.model;

import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same input gives bit-identical logits whether the kernels run in the interpreter (first
 * call) or JIT-compiled (after warm-up): runs are reproducible to the last bit.
 */
class DeterminismTest {
    @Test
    void coldAndWarmForwardPassesAreBitIdentical() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen3"))) {
            int[][] ids = {{7, 1, 200, 33, 45, 9, 250, 3, 3, 14}};
            float[] cold = m.forward(Forward.of(ids));
            int[][] one = {{7}};
            for (int i = 0; i < 3000; i++) m.forward(Forward.of(i % 2 == 0 ? ids : one).logits(Transformer.Logits.LAST));
            float[] warm = m.forward(Forward.of(ids));
            assertThat(warm).containsExactly(cold);
        }
    }
}
