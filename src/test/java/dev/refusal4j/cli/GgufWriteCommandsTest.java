package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert} and {@code abliterate} of a GGUF model from the command line: convert writes the
 * file the converter writes and the model runs; abliterate of the Q8_0 organism writes a model that
 * runs, with its provenance; bad input is one line naming what is wrong, a non-zero exit, and
 * nothing written.
 */
class GgufWriteCommandsTest {
    @TempDir
    static Path tmp;
    static Path organismQ8, direction;

    @BeforeAll
    static void prepare() throws Exception {
        organismQ8 = GgufConverter.of(Defaults.model()).type(GgmlType.Q8_0).write(tmp.resolve("organism-Q8_0.gguf"));
        int d = ModelConfig.load(organismQ8).hidden;
        float[] v = new float[d];
        for (int i = 0; i < d; i++) v[i] = (float) Math.sin(1.7 * i + 0.3);
        direction = tmp.resolve("direction.safetensors");
        new RefusalDirection(v, 2, -1, Map.of("model", "organism")).write(direction);
    }

    @Test
    void convertWritesWhatTheConverterWritesAndItRuns() throws Exception {
        Path hf = Shared.path("golden", "llama");
        Path out = tmp.resolve("llama-q8.gguf");
        GgufCommandsTest.Ran r = GgufCommandsTest.run("convert", "--model", hf.toString(), "--out", out.toString(), "--outtype", "q8_0");
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("converted").contains("(llama, q8_0)");
        Path api = GgufConverter.of(hf).type(GgmlType.Q8_0).write(tmp.resolve("llama-q8-api.gguf"));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(api));
        try (Transformer a = Transformer.load(hf); Transformer b = Transformer.load(out)) {
            assertThat(b.forward(Forward.of(new int[] {1, 5, 9}))).hasSameSizeAs(a.forward(Forward.of(new int[] {1, 5, 9})));
        }
    }

    @Test
    void abliterateOfAQuantizedGgufWritesARunnableModelWithItsProvenance() throws Exception {
        Path out = tmp.resolve("organism-abliterated.gguf");
        GgufCommandsTest.Ran r = GgufCommandsTest.run("abliterate", "--model", organismQ8.toString(), "--direction", direction.toString(), "--out", out.toString());
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("tensors orthogonalized (each requantized to its own type)");
        GgufFile g = GgufReader.read(out);
        assertThat(g.string("refusal4j.direction.layer")).isEqualTo("2");
        assertThat(g.tensors().stream().filter(t -> t.name().equals("blk.0.ffn_down.weight")).findFirst().orElseThrow().type()).isEqualTo(GgmlType.Q8_0);
        GgufCommandsTest.Ran gen = GgufCommandsTest.run("generate", "--model", out.toString(), "--prompt", "How do I bake bread?", "--max-new-tokens", "8");
        assertThat(gen.rc()).as(gen.err()).isZero();
    }

    /** Runs a command that must fail: one line, non-zero exit, the folder's files unchanged. */
    private static String fails(String... args) throws Exception {
        List<String> before;
        try (Stream<Path> s = Files.list(tmp)) {
            before = s.map(Path::toString).sorted().toList();
        }
        GgufCommandsTest.Ran r = GgufCommandsTest.run(args);
        assertThat(r.rc()).as(String.join(" ", args)).isNotZero();
        String err = r.err().strip();
        assertThat(err.lines().count()).as(err).isEqualTo(1);
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s.map(Path::toString).sorted().toList()).as("nothing written").isEqualTo(before);
        }
        return err;
    }

    /** A copy of the Q8_0 organism with one tensor's type and bytes replaced. */
    private static Path withTensor(String file, String name, GgmlType type, java.util.function.UnaryOperator<byte[]> bytes) throws Exception {
        Path out = tmp.resolve(file);
        var w = new dev.refusal4j.io.gguf.GgufWriter();
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var g = GgufReader.open(organismQ8, arena);
            GgufFile h = g.header();
            for (String k : h.metadata().keySet()) w.putValue(k, h.types().get(k), h.elementTypes().get(k), h.metadata().get(k));
            for (var t : g.tensors()) {
                byte[] b = g.data(t).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                byte[] data = t.name().equals(name) ? bytes.apply(b) : b;
                w.addTensor(t.name(), t.name().equals(name) ? type : t.type(), t.dims(), ch -> ch.write(java.nio.ByteBuffer.wrap(data)));
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void aTensorToEditThatCannotBeDecodedOrHoldsANanIsOneLine() throws Exception {
        // IQ4_NL has Q4_0's block size (32 weights in 18 bytes) but refusal4j does not decode it; Q8_0 rows of 34-byte blocks become 18-byte ones
        Path iq = withTensor("iq.gguf", "blk.1.ffn_down.weight", GgmlType.IQ4_NL, b -> new byte[b.length / 34 * 18]);
        Path nan = withTensor("nan.gguf", "blk.0.attn_output.weight", GgmlType.Q8_0, b -> {
            b[34 * 5] = 0x00;
            b[34 * 5 + 1] = 0x7E; // the f16 scale of block 5: a NaN
            return b;
        });
        String out = tmp.resolve("x.gguf").toString(), dir = direction.toString();
        assertThat(fails("abliterate", "--model", iq.toString(), "--direction", dir, "--out", out)).contains(iq.toString())
                .contains("'blk.1.ffn_down.weight' is iq4_nl, which refusal4j cannot dequantize");
        assertThat(fails("abliterate", "--model", nan.toString(), "--direction", dir, "--out", out)).contains(nan.toString())
                .contains("'blk.0.attn_output.weight' holds a NaN or Inf");
        Files.delete(iq);
        Files.delete(nan);
    }

    @Test
    void badInputIsOneLineAndWritesNothing() throws Exception {
        String out = tmp.resolve("x.gguf").toString(), llama = Shared.path("golden", "llama").toString();
        assertThat(fails("convert", "--model", llama, "--out", out, "--outtype", "iq2_xxs")).contains("--outtype iq2_xxs is not a type refusal4j writes");
        assertThat(fails("convert", "--model", llama, "--out", tmp.resolve("x.bin").toString())).contains("must end in .gguf");
        assertThat(fails("convert", "--model", tmp.resolve("missing").toString(), "--out", out)).contains("missing");
        Path gpt2 = Files.createDirectories(tmp.resolve("gpt2"));
        Files.writeString(gpt2.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"], \"model_type\": \"gpt2\"}");
        assertThat(fails("convert", "--model", gpt2.toString(), "--out", out)).contains("config.json").contains("GPT2LMHeadModel");
        assertThat(fails("convert", "--model", organismQ8.toString(), "--out", out)).contains("already a GGUF model");

        String q8 = organismQ8.toString(), dir = direction.toString();
        assertThat(fails("abliterate", "--model", q8, "--direction", dir, "--out", q8)).contains("is the input model");
        assertThat(fails("abliterate", "--model", q8, "--direction", dir, "--out", direction.toString())).contains("a GGUF model is written as a .gguf file");
        assertThat(fails("abliterate", "--model", q8, "--direction", dir, "--out", out, "--outtype", "q4_K")).contains("not whole q4_K blocks of 256");
        assertThat(fails("abliterate", "--model", q8, "--direction", dir, "--out", out, "--outtype", "i8")).contains("--outtype i8 is not a type refusal4j writes");
        assertThat(fails("abliterate", "--model", llama, "--direction", dir, "--out", tmp.resolve("hf").toString(), "--outtype", "q8_0"))
                .contains("--outtype is for a GGUF model");
        Path other = tmp.resolve("other.safetensors");
        new RefusalDirection(new float[] {1, 2, 3}, 0, -1, Map.of()).write(other);
        assertThat(fails("abliterate", "--model", q8, "--direction", other.toString(), "--out", out)).contains("the direction has 3 values");
        Files.delete(other);
    }
}
