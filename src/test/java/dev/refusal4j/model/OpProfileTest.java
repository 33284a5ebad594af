package dev.refusal4j.model;

import dev.refusal4j.model.OpProfile.Op;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A profiled forward pass computes what an unprofiled one does, bit for bit; its parts add up to
 * no more than the calls' time; its matrix-product FLOPs are 2 per weight of every projection a row
 * passes (counted from the loaded matrices) and its output head's 2 per weight per logits row.
 */
class OpProfileTest {
    @Test
    void profilingChangesNoLogitAndCountsEveryMatrixProduct() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "gemma2"))) {
            int[] ids = {3, 17, 42, 9, 100, 5};
            float[] plain = m.forward(Forward.of(ids).logits(Transformer.Logits.ALL));
            OpProfile p = new OpProfile();
            m.profile(p);
            float[] profiled = m.forward(Forward.of(ids).logits(Transformer.Logits.ALL));
            m.profile(OpProfile.OFF);
            assertThat(profiled).containsExactly(plain);

            assertThat(p.calls()).isEqualTo(1);
            int T = ids.length;
            double projections = 0;
            for (LayerWeights lw : m.weights.layers) {
                for (Matrix w : new Matrix[] {lw.wq, lw.wk, lw.wv, lw.wo, lw.wGate, lw.wUp, lw.wDown}) projections += 2.0 * T * w.rows * w.cols;
            }
            assertThat(p.flops(Op.MATMUL)).isEqualTo(projections);
            assertThat(p.flops(Op.LM_HEAD)).isEqualTo(2.0 * T * m.weights.lmHead.rows * m.weights.lmHead.cols);
            assertThat(p.flops(Op.ATTENTION)).isZero();

            double parts = 0;
            for (Op op : Op.values()) {
                assertThat(p.seconds(op)).as(op.label).isGreaterThanOrEqualTo(0);
                if (op != Op.OTHER) parts += p.seconds(op);
            }
            assertThat(p.seconds(Op.MATMUL)).isPositive();
            assertThat(parts).isLessThanOrEqualTo(p.totalSeconds() + 1e-9);
            assertThat(parts + p.seconds(Op.OTHER)).isCloseTo(p.totalSeconds(), org.assertj.core.data.Offset.offset(1e-6));

            // a later call without the profile adds nothing; reset forgets
            m.forward(Forward.of(ids));
            assertThat(p.calls()).isEqualTo(1);
            p.reset();
            assertThat(p.calls()).isZero();
            assertThat(p.totalSeconds()).isZero();
            assertThat(p.flops(Op.MATMUL)).isZero();
        }
    }

    @Test
    void offKeepsNothing() {
        OpProfile.OFF.stop(Op.MATMUL, OpProfile.OFF.start(), 1e9);
        OpProfile.OFF.call(5);
        assertThat(OpProfile.OFF.calls()).isZero();
        assertThat(OpProfile.OFF.flops(Op.MATMUL)).isZero();
        assertThat(OpProfile.OFF.start()).isZero();
    }
}
