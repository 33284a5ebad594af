package dev.refusal4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The vectorised widening must agree bit for bit with the JDK's scalar conversions, for every 16-bit pattern. */
class WidenTest {
    private static final int ALL = 1 << 16;

    private static MemorySegment allPatterns() {
        MemorySegment seg = Arena.ofAuto().allocate(2L * ALL + 2, 64);
        for (int i = 0; i < ALL; i++) seg.setAtIndex(Matrix.I16, i, (short) i);
        return seg;
    }

    @Test
    void f16MatchesFloat16ToFloatForEveryPattern() {
        MemorySegment seg = allPatterns();
        float[] out = new float[ALL];
        Widen.f16(seg, 0, ALL, out, 0);
        for (int i = 0; i < ALL; i++) {
            float want = Float.float16ToFloat((short) i);
            if (Float.isNaN(want)) assertThat(out[i]).as("pattern %04x", i).isNaN();
            else assertThat(Float.floatToRawIntBits(out[i])).as("pattern %04x -> %s", i, want).isEqualTo(Float.floatToRawIntBits(want));
        }
    }

    @Test
    void bf16IsTheUpperHalfOfAFloatForEveryPattern() {
        MemorySegment seg = allPatterns();
        float[] out = new float[ALL];
        Widen.bf16(seg, 0, ALL, out, 0);
        for (int i = 0; i < ALL; i++) assertThat(Float.floatToRawIntBits(out[i])).as("pattern %04x", i).isEqualTo(i << 16);
    }

    @Test
    void oddLengthsAndOffsetsUseTheScalarTail() {
        MemorySegment seg = allPatterns();
        float[] out = new float[40];
        Widen.f16(seg, 2L * 0x3C00, 13, out, 5); // 1.0, then the next 12 patterns
        assertThat(out[5]).isEqualTo(1f);
        for (int i = 0; i < 13; i++) assertThat(out[5 + i]).isEqualTo(Float.float16ToFloat((short) (0x3C00 + i)));
        assertThat(out[4]).isZero();
        assertThat(out[18]).isZero();
    }
}
