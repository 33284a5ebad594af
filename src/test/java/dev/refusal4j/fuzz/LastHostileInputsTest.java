package dev.refusal4j.fuzz;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.extract.CandidateDirections;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The inputs the fuzz runs found breaking the engine's readers: each is now a one-line error naming the file. */
class LastHostileInputsTest {
    @TempDir
    Path tmp;

    Path config(String golden, String key, String value) throws Exception {
        String json = Files.readString(Shared.path("golden", golden, "config.json"));
        var root = (com.fasterxml.jackson.databind.node.ObjectNode) dev.refusal4j.io.Json.MAPPER.readTree(json);
        root.set(key, dev.refusal4j.io.Json.MAPPER.readTree(value));
        Path f = tmp.resolve(golden + "-config.json");
        Files.writeString(f, root.toString());
        return f;
    }

    @Test
    void aLayerCountNoModelHasIsRefusedBeforeAnyTableIsSized() throws Exception {
        for (String n : List.of("1000000000", "2147483647")) {
            assertThatThrownBy(() -> ModelConfig.parse(config("llama-gqa", "num_hidden_layers", n)))
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining("num_hidden_layers");
        }
    }

    @Test
    void aSoftCapBeyondTheFloatRangeIsRefused() throws Exception {
        assertThatThrownBy(() -> ModelConfig.parse(config("gemma2", "attn_logit_softcapping", "1e39")))
                .isInstanceOf(ModelFormatException.class).hasMessageContaining("attn_logit_softcapping");
    }

    @Test
    void aGgufArrayCountThatWouldOverflowIsRefused() throws Exception {
        byte[] file = new GgufWriter().putString("general.architecture", "llama").putInt32Array("a", new int[] {1, 2, 3}).toBytes();
        for (long n : new long[] {Long.MAX_VALUE, 1L << 62, (1L << 62) + 1}) {
            byte[] bad = file.clone();
            ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(86, n);
            Path f = Files.write(tmp.resolve("bad.gguf"), bad);
            assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("bad.gguf").hasMessageContaining("more than the file holds");
        }
    }

    @Test
    void meanDiffsOfAnEmptyOrHugeShapeAreRefused() throws Exception {
        for (long[] shape : new long[][] {{0, 5, 3}, {3, 0, 4}, {1000000, 1000000, 0}}) {
            Path f = tmp.resolve("mean_diffs.safetensors");
            SafetensorsWriter.write(f, List.of(SafetensorsWriter.f32("mean_diffs", new float[0], shape)), Map.of());
            assertThatThrownBy(() -> CandidateDirections.read(f)).isInstanceOf(ModelFormatException.class).hasMessageContaining("mean_diffs");
        }
    }
}
