package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unigram tokenizer.model (written here as protobuf) must tokenize like the unigram
 * tokenizer.json with the same pieces and scores, which the DJL oracle test checks against
 * Hugging Face (OracleVariants "unigram-byte-fallback").
 */
class SentencePieceUnigramTest {
    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] b) {
        varint(out, (long) field << 3 | 2);
        varint(out, b.length);
        out.writeBytes(b);
    }

    private static void varintField(ByteArrayOutputStream out, int field, long v) {
        varint(out, (long) field << 3);
        varint(out, v);
    }

    @Test
    void unigramModelFileMatchesUnigramTokenizerJson(@TempDir Path dir) throws Exception {
        Path json = OracleVariants.write(dir.resolve("variants")).get("unigram-byte-fallback");
        JsonNode vocab = dev.refusal4j.io.Json.MAPPER.readTree(json.toFile()).get("model").get("vocab");
        ByteArrayOutputStream model = new ByteArrayOutputStream();
        for (int i = 0; i < vocab.size(); i++) {
            String piece = vocab.get(i).get(0).asText();
            ByteArrayOutputStream p = new ByteArrayOutputStream();
            bytesField(p, 1, piece.getBytes(StandardCharsets.UTF_8));
            p.write(2 << 3 | 5);
            int bits = Float.floatToIntBits((float) vocab.get(i).get(1).asDouble());
            for (int k = 0; k < 4; k++) p.write(bits >>> (8 * k) & 0xFF);
            varintField(p, 3, i == 0 ? 2 : i < 3 ? 3 : piece.matches("<0x[0-9A-F]{2}>") ? 6 : 1);
            bytesField(model, 1, p.toByteArray());
        }
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varintField(trainer, 3, 1);   // model_type UNIGRAM
        varintField(trainer, 35, 1);  // byte_fallback
        varintField(trainer, 40, 0);  // unk_id
        varintField(trainer, 41, 1);  // bos_id
        varintField(trainer, 42, 2);  // eos_id
        bytesField(model, 2, trainer.toByteArray());
        ByteArrayOutputStream normalizer = new ByteArrayOutputStream();
        bytesField(normalizer, 1, "identity".getBytes(StandardCharsets.UTF_8));
        varintField(normalizer, 3, 1); // add_dummy_prefix
        varintField(normalizer, 4, 0); // remove_extra_whitespaces
        bytesField(model, 3, normalizer.toByteArray());
        Path file = dir.resolve("unigram.model");
        Files.write(file, model.toByteArray());

        Tokenizer spm = Tokenizer.load(file), reference = Tokenizer.load(json);
        List<String> texts = RandomTexts.generate(31, 400, List.of("<s>", "</s>", "<unk>"));
        List<String> misses = new ArrayList<>();
        for (String t : texts) {
            // (the .model holds the scores as float, the .json as double; no segmentation here is that close)
            int[] a = reference.encode(t, true), b = spm.encode(t, true);
            if (!Arrays.equals(a, b)) misses.add(t + "\n got  " + Arrays.toString(b) + "\n want " + Arrays.toString(a));
            else assertThat(spm.decode(b, true)).isEqualTo(reference.decode(a, true));
        }
        System.out.println("unigram tokenizer.model vs unigram tokenizer.json: " + (texts.size() - misses.size()) + "/" + texts.size());
        assertThat(misses).isEmpty();
    }
}
