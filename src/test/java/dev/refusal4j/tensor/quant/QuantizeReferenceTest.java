package dev.refusal4j.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every type's {@link GgmlType#quantizeRow} writes the bytes ggml's reference quantizer
 * ({@code quantize_row_*_ref}, {@code ggml_fp32_to_fp16_row}, {@code ggml_fp32_to_bf16_row_ref})
 * wrote for the same floats, byte for byte: src/test/resources/gguf/quant/TYPE.json, written by
 * ggml itself (src/test/c/gguf_reference): zeros, normal, sub-blocks of very different
 * magnitudes, one-sided, an outlier, large and tiny values, and for the float types values beyond
 * F16's range; and src/test/resources/gguf/quant-random/TYPE.json, many blocks of seeded random
 * floats of several distributions.
 */
class QuantizeReferenceTest {

    static Stream<GgmlType> quantizable() {
        return Arrays.stream(GgmlType.values()).filter(GgmlType::quantizable);
    }

    @Test
    void everyDequantizableTypeIsQuantizable() {
        assertThat(quantizable().toList()).isEqualTo(Arrays.stream(GgmlType.values()).filter(GgmlType::dequantizable).toList()).hasSize(13);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("quantizable")
    void quantizesAsGgmlsReferenceByteForByte(GgmlType type) {
        List<String> failures = new ArrayList<>();
        int cases = check(type, "/gguf/quant/" + type.ggmlName + ".json", failures);
        assertThat(failures).isEmpty();
        assertThat(cases).isGreaterThanOrEqualTo(8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("quantizable")
    void quantizesRandomBlocksAsGgmlsReferenceByteForByte(GgmlType type) {
        List<String> failures = new ArrayList<>();
        int cases = check(type, "/gguf/quant-random/" + type.ggmlName + ".json", failures);
        assertThat(failures).isEmpty();
        assertThat(cases).isEqualTo(6); // six distributions of six blocks (of 64 floats for the float types)
    }

    /** Quantizes every case of the file that has input floats; returns how many there were. */
    static int check(GgmlType type, String resource, List<String> failures) {
        int cases = 0;
        for (JsonNode c : GgmlReference.json(resource).get("cases")) {
            if (!c.has("input")) continue; // random bytes: no floats behind them
            cases++;
            int n = c.get("elements").asInt();
            ByteBuffer in = ByteBuffer.wrap(GgmlReference.bytes(c.get("input"))).order(ByteOrder.LITTLE_ENDIAN);
            float[] x = new float[n + 5];
            for (int i = 0; i < n; i++) x[5 + i] = in.getFloat(); // an offset, as a row inside a tensor
            byte[] blocks = new byte[(int) type.bytes(n) + 3];
            type.quantizeRow(x, 5, blocks, 3, n);
            byte[] want = GgmlReference.bytes(c.get("blocks"));
            byte[] got = Arrays.copyOfRange(blocks, 3, blocks.length);
            int at = Arrays.mismatch(want, got);
            if (at >= 0) {
                int block = at / type.blockBytes;
                failures.add(type.ggmlName + " " + c.get("name").asText() + ": byte " + at + " (block " + block + ", byte " + at % type.blockBytes + ") is "
                        + HexFormat.of().formatHex(got, block * type.blockBytes, (block + 1) * type.blockBytes) + ", ggml wrote "
                        + HexFormat.of().formatHex(want, block * type.blockBytes, (block + 1) * type.blockBytes));
            }
        }
        return cases;
    }

    @Test
    void q8_0HalvesRoundAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;   // d = 1
        x[1] = 2.5f;   // roundf: 3 (Math.round would also give 3)
        x[2] = -2.5f;  // roundf: -3 (Math.round gives -2)
        x[3] = -0.5f;  // roundf: -1
        byte[] b = new byte[BlockQ8_0.BYTES];
        BlockQ8_0.quantize(x, 0, b, 0);
        assertThat(new byte[] {b[2], b[3], b[4], b[5]}).containsExactly(127, 3, -3, -1);
    }

    @Test
    void aNanBecomesGgmlsQuietNanInF16() {
        byte[] b = new byte[4];
        GgmlType.F16.quantizeRow(new float[] {Float.intBitsToFloat(0x7FA00001), Float.intBitsToFloat(0xFFC12345)}, 0, b, 0, 2);
        assertThat(b).containsExactly(0x00, 0x7E, 0x00, 0xFE);
    }
}
