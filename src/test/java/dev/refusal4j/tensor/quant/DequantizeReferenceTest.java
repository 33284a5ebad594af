package dev.refusal4j.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Every dequantizable type against ggml's own output (src/test/resources/gguf/quant/TYPE.json,
 * written by src/test/c/gguf_reference with ggml's to_float): blocks from ggml's reference
 * quantizers (zeros, normal, sub-blocks of very different magnitudes, one-sided, an outlier, large,
 * tiny) and random bytes (every bit pattern of scales and signs, negative scales included), compared
 * float bit by float bit.
 */
class DequantizeReferenceTest {

    static Stream<GgmlType> dequantizable() {
        return Arrays.stream(GgmlType.values()).filter(GgmlType::dequantizable);
    }

    @Test
    void theThirteenTypesAreDequantizable() {
        assertThat(GgmlType.dequantizableNames()).isEqualTo("f32, f16, q4_0, q4_1, q5_0, q5_1, q8_0, q2_K, q3_K, q4_K, q5_K, q6_K, bf16");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dequantizable")
    void dequantizesAsGgmlBitForBit(GgmlType type) {
        JsonNode ref = GgmlReference.json("/gguf/quant/" + type.ggmlName + ".json");
        assertThat(ref.get("id").asInt()).isEqualTo(type.id);
        assertThat(ref.get("block_elements").asInt()).isEqualTo(type.blockElements);
        assertThat(ref.get("block_bytes").asInt()).isEqualTo(type.blockBytes);
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (GgmlReference.Case c : GgmlReference.cases(ref)) {
            cases++;
            int n = c.elements();
            byte[] blocks = c.blocks();
            int[] expected = c.output();
            assertThat(blocks).hasSize((int) type.bytes(n));
            assertThat(expected).hasSize(n);

            float[] fromArray = new float[n + 3];
            type.dequantizeRow(blocks, 0, fromArray, 3, n);
            report(failures, c, "byte[]", expected, Arrays.copyOfRange(fromArray, 3, n + 3));

            try (Arena arena = Arena.ofConfined()) { // an odd offset: blocks are not aligned in a GGUF mapping either
                MemorySegment seg = arena.allocate(blocks.length + 5);
                MemorySegment.copy(blocks, 0, seg, ValueLayout.JAVA_BYTE, 5, blocks.length);
                float[] fromSegment = new float[n];
                type.dequantizeRow(seg, 5, fromSegment, 0, n);
                report(failures, c, "MemorySegment", expected, fromSegment);
            }
        }
        assertThat(cases).isGreaterThanOrEqualTo(8);
        assertThat(failures).as(type.ggmlName).isEmpty();
    }

    private static void report(List<String> failures, GgmlReference.Case c, String path, int[] expected, float[] actual) {
        int i = GgmlReference.firstDifference(expected, actual);
        if (i >= 0) {
            failures.add(c.name() + " (" + path + "): element " + i + " is 0x" + Integer.toHexString(Float.floatToRawIntBits(actual[i]))
                    + " (" + actual[i] + "), ggml gives 0x" + Integer.toHexString(expected[i]) + " (" + Float.intBitsToFloat(expected[i]) + ")");
        }
    }

    /** The type table equals ggml's (ggml_get_type_traits for every type number). */
    @Test
    void typeTableEqualsGgml() {
        int known = 0;
        for (JsonNode t : GgmlReference.json("/gguf/ggml-types.json")) {
            int id = t.get("id").asInt();
            GgmlType type = GgmlType.byId(id);
            if (t.get("block_elements").asInt() == 0) { // retired by ggml
                assertThat(type).as("type " + id).isNull();
                continue;
            }
            known++;
            assertThat(type).as("type " + id).isNotNull();
            assertThat(type.ggmlName).isEqualTo(t.get("name").asText());
            assertThat(type.blockElements).as(type.ggmlName).isEqualTo(t.get("block_elements").asInt());
            assertThat(type.blockBytes).as(type.ggmlName).isEqualTo(t.get("block_bytes").asInt());
        }
        assertThat(known).isEqualTo(GgmlType.values().length);
        assertThat(GgmlType.byId(-1)).isNull();
        assertThat(GgmlType.byId(1000)).isNull();
    }

    @Test
    void partialBlocksAndUnsupportedTypesAreRefused() {
        float[] out = new float[256];
        assertThatThrownBy(() -> GgmlType.Q4_K.dequantizeRow(new byte[144], 0, out, 0, 100))
                .hasMessageContaining("100 elements are not a whole number of q4_K blocks of 256");
        assertThatThrownBy(() -> GgmlType.IQ2_XXS.dequantizeRow(new byte[66], 0, out, 0, 256))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("iq2_xxs cannot be dequantized");
        assertThatThrownBy(() -> GgmlType.Q8_0.dequantizeRow(new byte[33], 0, out, 0, 32))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> GgmlType.Q8_0.dequantizeRow(new byte[34], 0, out, 250, 32))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
