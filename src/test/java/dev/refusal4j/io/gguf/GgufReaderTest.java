package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GGUF headers written by hand (every value type) and llama.cpp's vocabulary files. */
class GgufReaderTest {

    /** Little-endian GGUF writer for the test files. */
    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Writer raw(int bytes, long v) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
            out.write(b.array(), 0, bytes);
            return this;
        }

        Writer str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            raw(8, b.length);
            out.writeBytes(b);
            return this;
        }

        Writer key(String k, int type) {
            return str(k).raw(4, type);
        }
    }

    private static byte[] sample(int version) {
        Writer w = new Writer();
        w.raw(4, 0x46554747).raw(4, version).raw(8, 1).raw(8, 16);
        w.key("u8", 0).raw(1, 200);
        w.key("i8", 1).raw(1, -3);
        w.key("u16", 2).raw(2, 65000);
        w.key("i16", 3).raw(2, -300);
        w.key("u32", 4).raw(4, 4_000_000_000L);
        w.key("i32", 5).raw(4, -70000);
        w.key("f32", 6).raw(4, Float.floatToIntBits(1.5f));
        w.key("bool", 7).raw(1, 1);
        w.key("str", 8).str("héllo");
        w.key("u64", 10).raw(8, 1L << 40);
        w.key("i64", 11).raw(8, -5);
        w.key("f64", 12).raw(8, Double.doubleToLongBits(-2.25));
        w.key("arr.i32", 9).raw(4, 5).raw(8, 3).raw(4, 1).raw(4, -2).raw(4, 3);
        w.key("arr.str", 9).raw(4, 8).raw(8, 2).str("a").str("bc");
        w.key("arr.arr", 9).raw(4, 9).raw(8, 1).raw(4, 6).raw(8, 2).raw(4, Float.floatToIntBits(0.5f)).raw(4, Float.floatToIntBits(-1f));
        w.key("general.alignment", 4).raw(4, 64);
        w.str("blk.0.w").raw(4, 2).raw(8, 4).raw(8, 3).raw(4, 1).raw(8, 0);
        return w.out.toByteArray();
    }

    @Test
    void everyValueTypeAndTensorInfo(@TempDir Path dir) throws Exception {
        for (int version : new int[]{2, 3}) {
            Path f = dir.resolve("v" + version + ".gguf");
            byte[] bytes = sample(version);
            Files.write(f, bytes);
            GgufFile g = GgufReader.read(f);
            assertThat(g.version()).isEqualTo(version);
            assertThat(g.get("u8")).isEqualTo(200);
            assertThat(g.get("i8")).isEqualTo(-3);
            assertThat(g.get("u16")).isEqualTo(65000);
            assertThat(g.get("i16")).isEqualTo(-300);
            assertThat(g.get("u32")).isEqualTo(4_000_000_000L);
            assertThat(g.get("i32")).isEqualTo(-70000);
            assertThat(g.get("f32")).isEqualTo(1.5f);
            assertThat(g.get("bool")).isEqualTo(true);
            assertThat(g.string("str")).isEqualTo("héllo");
            assertThat(g.get("u64")).isEqualTo(1L << 40);
            assertThat(g.get("i64")).isEqualTo(-5L);
            assertThat(g.get("f64")).isEqualTo(-2.25);
            assertThat(g.ints("arr.i32")).containsExactly(1, -2, 3);
            assertThat(g.strings("arr.str")).containsExactly("a", "bc");
            Object[] nested = (Object[]) g.get("arr.arr");
            assertThat((float[]) nested[0]).containsExactly(0.5f, -1f);
            assertThat(g.types().get("u32")).isEqualTo(GgufType.UINT32);
            assertThat(g.tensors()).hasSize(1);
            GgufTensorInfo t = g.tensors().get(0);
            assertThat(t.name()).isEqualTo("blk.0.w");
            assertThat(t.dims()).containsExactly(4, 3);
            assertThat(t.type()).isEqualTo(1);
            assertThat(g.dataOffset()).isEqualTo((bytes.length + 63) / 64 * 64);
        }
    }

    @Test
    void truncationAtAnyPointIsNamed(@TempDir Path dir) throws Exception {
        byte[] bytes = sample(3);
        Path f = dir.resolve("cut.gguf");
        for (int len = 0; len < bytes.length; len += 7) {
            Files.write(f, Arrays.copyOf(bytes, len));
            assertThatThrownBy(() -> GgufReader.read(f)).as("cut at " + len).isInstanceOf(GgufException.class)
                    .hasMessageContaining("cut.gguf");
        }
        Files.write(f, Arrays.copyOf(bytes, 100));
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("truncated");
    }

    @Test
    void badMagicVersionAndLengths(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("x.gguf");
        Files.writeString(f, "PK\u0003\u0004 this is a zip, not gguf");
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("x.gguf").hasMessageContaining("not a GGUF file");
        byte[] v1 = sample(3);
        v1[4] = 1;
        Files.write(f, v1);
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("version 1");
        Writer w = new Writer();
        w.raw(4, 0x46554747).raw(4, 3).raw(8, 0).raw(8, 1).raw(8, Long.MAX_VALUE / 2);
        Files.write(f, w.out.toByteArray());
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("runs past the end");
        assertThatThrownBy(() -> GgufReader.read(dir.resolve("none.gguf"))).hasMessageContaining("none.gguf");
    }

    @Test
    void llamaCppVocabularyFile() {
        GgufFile g = GgufReader.read(Shared.path("tokenizers", "llamacpp", "ggml-vocab-gpt-2.gguf"));
        assertThat(g.version()).isEqualTo(3);
        assertThat(g.tensors()).isEmpty();
        assertThat(g.string("tokenizer.ggml.model")).isEqualTo("gpt2");
        assertThat(g.strings("tokenizer.ggml.tokens")).hasSize(50257);
        assertThat(g.strings("tokenizer.ggml.tokens")[50256]).isEqualTo("<|endoftext|>");
        assertThat(g.strings("tokenizer.ggml.merges")).hasSize(50000);
        assertThat(g.integer("tokenizer.ggml.eos_token_id")).isEqualTo(50256);
    }

    /** One tensor info after a general.alignment of the given GGUF type and bits. */
    private static byte[] withAlignment(int type, int bytes, long alignmentBits, long dim, long offset) {
        Writer w = new Writer();
        w.raw(4, 0x46554747).raw(4, 3).raw(8, 1).raw(8, 1);
        w.key("general.alignment", type).raw(bytes, alignmentBits);
        w.str("blk.0.w").raw(4, 2).raw(8, dim).raw(8, 3).raw(4, 0).raw(8, offset);
        return w.out.toByteArray();
    }

    /** A float or signed alignment used to be rounded (32.5 read as 32), a negative size or offset kept. */
    @Test
    void fractionalOrWronglyTypedAlignmentAndBadOffsetsAreRejected(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.gguf");
        Files.write(f, withAlignment(4, 4, 32, 4, 64)); // UINT32 32, offset 64: fine
        assertThat(GgufReader.read(f).tensors().get(0).offset()).isEqualTo(64);
        Files.write(f, withAlignment(6, 4, Float.floatToIntBits(32.5f), 4, 0)); // FLOAT32
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("a.gguf").hasMessageContaining("general.alignment is a FLOAT32 (32.5)");
        Files.write(f, withAlignment(5, 4, 32, 4, 0)); // INT32
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("must be a uint32");
        Files.write(f, withAlignment(4, 4, 48, 4, 0));
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("48; it must be a power of two");
        Files.write(f, withAlignment(4, 4, 32, 4, 17));
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("'blk.0.w' has offset 17, not a multiple of general.alignment 32");
        Files.write(f, withAlignment(4, 4, 32, -4, 0));
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("'blk.0.w' has dimension 18446744073709551612");
        Files.write(f, withAlignment(4, 4, 32, 4, -64));
        assertThatThrownBy(() -> GgufReader.read(f)).hasMessageContaining("'blk.0.w' has offset 18446744073709551552");
    }
}
