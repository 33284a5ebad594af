package dev.refusal4j.io.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.tensor.quant.GgmlType;
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
            assertThat(t.type()).isEqualTo(GgmlType.F16);
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
        w.raw(4, 0x46554747).raw(4, 3).raw(8, 0).raw(8, 1).raw(8, Long.MAX_VALUE / 2).raw(8, 0).raw(8, 0);
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

    @TempDir
    Path damaged;

    /** GGUF header with the given metadata and tensor-info bytes already encoded. */
    private static Writer header(int tensors, int kvs) {
        return new Writer().raw(4, 0x46554747).raw(4, 3).raw(8, tensors).raw(8, kvs);
    }

    private static Writer tensor(Writer w, String name, int type, long... dims) {
        w.str(name).raw(4, dims.length);
        for (long d : dims) w.raw(8, d);
        return w.raw(4, type).raw(8, 0);
    }

    /** read() refuses the bytes with one line that names the file and contains {@code fragment}. */
    private void assertRefused(Writer w, String fragment) throws Exception {
        w.out.write(new byte[64], 0, 64); // room, so that the counts are plausible
        Path f = Files.write(damaged.resolve("bad.gguf"), w.out.toByteArray());
        assertThatThrownBy(() -> GgufReader.read(f)).isInstanceOf(GgufException.class)
                .hasMessageStartingWith(f + ": ").hasMessageNotContaining("\n").hasMessageContaining(fragment);
    }

    /** ggml's checks on tensor infos (gguf_init_from_file_impl), each with its own message. */
    @Test
    void damagedTensorInfosAreNamed() throws Exception {
        assertRefused(tensor(header(1, 0), "t", 0, 1, 1, 1, 1, 1), "tensor info 't' has 5 dimensions; ggml allows at most 4");
        assertRefused(tensor(header(1, 0), "t", 0, 1L << 32, 1L << 32), "tensor info 't' has shape [4294967296, 4294967296], more elements than any file holds");
        assertRefused(tensor(header(1, 0), "t", 0, 1L << 61, 2), "tensor info 't' has shape [2305843009213693952, 2], more bytes than any file holds");
        assertRefused(tensor(header(1, 0), "t", 4, 32), "tensor info 't' has tensor type 4, which ggml does not know");
        assertRefused(tensor(header(1, 0), "t", 99, 32), "has tensor type 99");
        assertRefused(tensor(header(1, 0), "t", 12, 100, 2), "tensor info 't' has rows of 100 elements, not a whole number of q4_K blocks of 256");
        assertRefused(tensor(header(1, 0), "scalar", 12), "tensor info 'scalar' has rows of 1 elements, not a whole number of q4_K blocks of 256");
        assertRefused(tensor(tensor(header(2, 0), "t", 0, 4), "t", 0, 4), "tensor name 't' appears twice");
        assertRefused(tensor(header(1, 0), "x".repeat(64), 0, 4), "the name has 64 bytes; ggml allows at most 63");
        assertRefused(header(1 << 30, 0), "truncated or damaged: 1073741824 tensor infos");
        Writer bigEndian = new Writer().raw(4, 0x46554747).raw(4, 0x03000000);
        assertRefused(bigEndian, "GGUF version 50331648 is not supported (2 and 3 are); the file looks big-endian");
    }

    @Test
    void damagedMetadataIsNamed() throws Exception {
        assertRefused(header(0, 2).key("k", 5).raw(4, 1).key("k", 5).raw(4, 2), "metadata key 'k' appears twice");
        assertRefused(header(0, 2).key("a\nb", 5).raw(4, 1).key("a\nb", 5).raw(4, 2), "metadata key 'a\\x0ab' appears twice");
        assertRefused(header(0, 1).key("", 5).raw(4, 1), "metadata entry 0 has an empty key");
        assertRefused(header(0, 1).key("k", 13).raw(4, 1), "metadata 'k' has unknown value type 13");
        assertRefused(header(0, 1).key("k", 9).raw(4, -1).raw(8, 1), "metadata 'k' has unknown value type -1");
        assertRefused(header(0, 1).key("k", 9).raw(4, 4).raw(8, -1), "metadata 'k' declares 18446744073709551615 elements of UINT32, more than the file holds");
        String longKey = "k".repeat(500);
        assertRefused(header(0, 1).key(longKey, 13), "metadata '" + "k".repeat(80) + "…(500 chars)' has unknown value type 13");
    }

    /** Arrays of arrays are read to a depth of 8; deeper nesting is refused before it can exhaust the stack. */
    @Test
    void nestedArraysAreBounded() throws Exception {
        Path f = damaged.resolve("nested.gguf");
        for (int depth : new int[] {8, 9, 100_000}) {
            Writer w = header(0, 1).key("deep", 9);
            for (int d = 1; d < depth; d++) w.raw(4, 9).raw(8, 1);
            w.raw(4, 5).raw(8, 1).raw(4, 42);
            Files.write(f, w.out.toByteArray());
            if (depth == 8) {
                Object v = GgufReader.read(f).get("deep");
                for (int d = 1; d < depth; d++) v = ((Object[]) v)[0];
                assertThat((int[]) v).containsExactly(42);
            } else {
                assertThatThrownBy(() -> GgufReader.read(f)).isInstanceOf(GgufException.class).hasMessageContaining("metadata 'deep' nests arrays more than 8 deep");
            }
        }
    }

    /** A file of many tiny strings would take far more heap than its size: the reader stops at its budget. */
    @Test
    void metadataHeapIsBounded() throws Exception {
        Writer w = header(0, 1).key("tokenizer.ggml.tokens", 9).raw(4, 8).raw(8, 100_000);
        for (int i = 0; i < 100_000; i++) w.raw(8, 0);
        Path f = Files.write(damaged.resolve("many.gguf"), w.out.toByteArray());
        assertThat(GgufReader.read(f).strings("tokenizer.ggml.tokens")).hasSize(100_000);
        assertThatThrownBy(() -> GgufReader.read(f, 1 << 20)).isInstanceOf(GgufException.class)
                .hasMessageContaining("metadata 'tokenizer.ggml.tokens': the strings of the header would take more than 1 MiB of memory");
    }
}
