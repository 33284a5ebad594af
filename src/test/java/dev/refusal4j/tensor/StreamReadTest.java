package dev.refusal4j.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every byte is read: the checksum equals the hand-computed sum over blocks, threads and trailing bytes. */
class StreamReadTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    @Test
    void sumsEveryFloatOfEverySegmentAndEachTrailingByte() {
        try (Arena arena = Arena.ofShared()) {
            int floats = 3 * StreamRead.BLOCK / 4 + 48;   // three whole blocks, then 48 floats: whole vectors at any width (with 64-byte ones, a pair and one alone)
            MemorySegment a = arena.allocate(4L * floats + 7, 64);
            double expected = 0;
            for (int i = 0; i < floats; i++) {
                float v = i % 4;   // small whole numbers: every partial sum is exact in F32
                a.set(F32, 4L * i, v);
                expected += v;
            }
            for (int i = 0; i < 7; i++) a.set(ValueLayout.JAVA_BYTE, 4L * floats + i, (byte) (200 + i));   // read as unsigned bytes
            expected += 200 + 201 + 202 + 203 + 204 + 205 + 206;

            MemorySegment b = arena.allocate(12, 64);   // shorter than one vector: bytes only
            for (int i = 0; i < 12; i++) b.set(ValueLayout.JAVA_BYTE, i, (byte) 1);
            expected += 12;

            assertThat(StreamRead.read(List.of(a, b))).isEqualTo(expected);
            assertThat(StreamRead.read(List.of())).isZero();
        }
    }
}
