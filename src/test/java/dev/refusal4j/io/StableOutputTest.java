package dev.refusal4j.io;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.RandomModel;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same call writes the same bytes: metadata given as a Map.of (whose iteration order is salted
 * afresh in every JVM) is written sorted by key, and a map with an order keeps it.
 */
class StableOutputTest {
    @TempDir
    Path tmp;

    static final Map<String, String> UNORDERED = Map.of("zeta", "1", "alpha", "2", "mid", "3", "beta", "4", "omega", "5", "gamma", "6", "kappa", "7");

    private static List<String> metadataKeys(Path file) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return new ArrayList<>(SafetensorsFile.open(file, arena).metadata().keySet());
        }
    }

    @Test
    void safetensorsMetadataIsSortedUnlessItsMapHasAnOrder() throws IOException {
        Path a = tmp.resolve("a.safetensors"), b = tmp.resolve("b.safetensors");
        SafetensorsWriter.write(a, List.of(SafetensorsWriter.f32("x", new float[] {1, 2}, 2)), UNORDERED);
        assertThat(metadataKeys(a)).containsExactly("alpha", "beta", "gamma", "kappa", "mid", "omega", "zeta");
        Map<String, String> ordered = new LinkedHashMap<>();
        ordered.put("z", "1");
        ordered.put("a", "2");
        SafetensorsWriter.write(b, List.of(SafetensorsWriter.f32("x", new float[] {1, 2}, 2)), ordered);
        assertThat(metadataKeys(b)).containsExactly("z", "a");
    }

    @Test
    void aDirectionsMetadataAndARandomModelsAreInAFixedOrder() throws IOException {
        Path d = tmp.resolve("d.safetensors");
        new RefusalDirection(new float[] {1, 2, 3}, 1, -1, UNORDERED).write(d);
        assertThat(metadataKeys(d)).containsExactly("alpha", "beta", "gamma", "kappa", "mid", "omega", "zeta", "layer", "position", "norm", "tool");
        assertThat(RefusalDirection.read(d).metadata().keySet()).startsWith("alpha", "beta");

        Path m = tmp.resolve("m");
        RandomModel.write(Shared.path("golden", "llama", "config.json"), m, DType.F32, 1);
        assertThat(metadataKeys(m.resolve("model.safetensors"))).containsExactly("format", "refusal4j");
    }
}
