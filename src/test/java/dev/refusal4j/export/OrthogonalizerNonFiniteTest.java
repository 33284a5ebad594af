package dev.refusal4j.export;

import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A matrix the export edits must be finite: one NaN in an output projection used to become a whole
 * column of NaN (uᵀW is NaN in that column), one in an embedding row a whole row, and the export
 * succeeded. Now it stops, naming the tensor, its file and the element, and writes nothing.
 */
class OrthogonalizerNonFiniteTest {
    @TempDir
    Path tmp;

    /** Overwrites element [row, col] of a tensor with NaN or Inf in the file's own dtype. */
    static void poison(Path file, String tensor, int row, int col, boolean nan) throws IOException {
        long at;
        String dtype;
        try (Arena arena = Arena.ofConfined()) {
            SafetensorsFile f = SafetensorsFile.open(file, arena);
            TensorInfo t = f.tensors().get(tensor);
            dtype = t.dtype();
            long cols = t.shape()[t.shape().length - 1];
            at = f.dataStart + t.begin() + (row * cols + col) * TensorInfo.dtypeBytes(dtype);
        }
        ByteBuffer b = ByteBuffer.allocate(dtype.equals("F32") ? 4 : 2).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype.equals("F32")) b.putInt(nan ? 0x7FC00000 : 0x7F800000);
        else b.putShort((short) (nan ? 0x7FC0 : 0x7F80)); // BF16
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(b.flip(), at);
        }
    }

    @Test
    void refusesANanOrInfInEveryKindOfEditedMatrixInF32AndBf16() throws IOException {
        String[][] cases = {
                {"llama", "model.layers.1.self_attn.o_proj.weight", "3", "5", "nan"},
                {"llama", "model.layers.0.mlp.down_proj.weight", "7", "100", "inf"},
                {"llama", "model.embed_tokens.weight", "11", "2", "nan"},
                {"llama-bf16", "model.layers.1.self_attn.o_proj.weight", "3", "5", "nan"},
                {"llama-bf16", "model.layers.0.mlp.down_proj.weight", "60", "127", "inf"},
                {"llama-bf16", "model.embed_tokens.weight", "200", "63", "nan"},
        };
        int n = 0;
        for (String[] c : cases) {
            Path in = tmp.resolve("in" + n), out = tmp.resolve("out" + n++);
            Files.createDirectories(in);
            for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(Shared.path("golden", c[0], f), in.resolve(f));
            int row = Integer.parseInt(c[2]), col = Integer.parseInt(c[3]);
            poison(in.resolve("model.safetensors"), c[1], row, col, c[4].equals("nan"));
            var dir = ExportChecks.randomDirection(ModelConfig.load(in).hidden, 3);
            assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, null)).as(c[0] + " " + c[1])
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith(in.resolve("model.safetensors") + ": tensor '" + c[1] + "' holds " + (c[4].equals("nan") ? "NaN" : "Infinity")
                            + " at [" + row + ", " + col + "]");
            assertThat(out).doesNotExist();
            try (var s = Files.list(tmp)) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(x -> x.startsWith(".")).toList()).as("partial folders").isEmpty();
            }
        }
    }
}
