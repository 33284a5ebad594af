package dev.refusal4j.tensor.quant;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * {@link BlockQ8_0#quantize} writes the bytes ggml's {@code quantize_row_q8_0_ref} wrote for the
 * same floats (src/test/resources/gguf/quant/q8_0.json: zeros, normal, sub-block magnitudes,
 * one-sided, an outlier, large and tiny values), byte for byte.
 */
class Q8_0QuantizeTest {
    @Test
    void quantizesAsGgmlsReferenceByteForByte() {
        int cases = 0;
        for (JsonNode c : GgmlReference.json("/gguf/quant/q8_0.json").get("cases")) {
            if (!c.has("input")) continue; // random bytes: no floats behind them
            cases++;
            int n = c.get("elements").asInt();
            ByteBuffer in = ByteBuffer.wrap(GgmlReference.bytes(c.get("input"))).order(ByteOrder.LITTLE_ENDIAN);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = in.getFloat();
            byte[] blocks = new byte[n / BlockQ8_0.ELEMENTS * BlockQ8_0.BYTES];
            for (int b = 0; b < n / BlockQ8_0.ELEMENTS; b++) BlockQ8_0.quantize(x, b * BlockQ8_0.ELEMENTS, blocks, b * BlockQ8_0.BYTES);
            assertThat(HexFormat.of().formatHex(blocks)).as(c.get("name").asText()).isEqualTo(c.get("blocks").asText());
        }
        assertThat(cases).isGreaterThanOrEqualTo(8);
    }

    @Test
    void halvesRoundAwayFromZero() {
        float[] x = new float[32];
        x[0] = 127f;   // d = 1
        x[1] = 2.5f;   // roundf: 3 (Math.round would also give 3)
        x[2] = -2.5f;  // roundf: -3 (Math.round gives -2)
        x[3] = -0.5f;  // roundf: -1
        byte[] b = new byte[BlockQ8_0.BYTES];
        BlockQ8_0.quantize(x, 0, b, 0);
        assertThat(new byte[] {b[2], b[3], b[4], b[5]}).containsExactly(127, 3, -3, -1);
    }
}
