package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.testutil.Shared;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Qwen-1 shipped its vocabulary as qwen.tiktoken; Qwen2 kept the same ranks as vocab.json ids
 * (the first 151643). A qwen.tiktoken written from Qwen2.5's vocab.json must therefore tokenize
 * exactly like Qwen2.5's vocab.json + merges.txt (rank-ordered merging = the merges list).
 */
class TiktokenTest {
    static Path writeTiktoken(Path dir) throws Exception {
        JsonNode vocab = dev.refusal4j.io.Json.MAPPER.readTree(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges", "vocab.json").toFile());
        Map<Integer, String> byRank = new TreeMap<>();
        vocab.properties().forEach(e -> byRank.put(e.getValue().asInt(), e.getKey()));
        StringBuilder sb = new StringBuilder();
        for (var e : byRank.entrySet()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ByteLevel.appendBytes(e.getValue(), bytes);
            sb.append(Base64.getEncoder().encodeToString(bytes.toByteArray())).append(' ').append(e.getKey()).append('\n');
        }
        Path f = dir.resolve("qwen.tiktoken");
        Files.writeString(f, sb);
        return f;
    }

    @Test
    void sameIdsAsQwenVocabMerges(@TempDir Path dir) throws Exception {
        writeTiktoken(dir);
        Tokenizer tiktoken = Tokenizer.load(dir);
        Tokenizer qwen = Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges"));
        assertThat(tiktoken.vocabSize()).isEqualTo(151643 + 3 + 205);
        List<String> texts = RandomTexts.generate(11, 600, List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        List<String> misses = new ArrayList<>();
        for (String t : texts) {
            int[] want = qwen.encode(t, false), got = tiktoken.encode(t, false);
            if (!Arrays.equals(want, got)) misses.add(t + "\n got  " + Arrays.toString(got) + "\n want " + Arrays.toString(want));
            else {
                assertThat(tiktoken.decode(got, false)).isEqualTo(qwen.decode(want, false));
                for (int id : got) assertThat(tiktoken.piece(id)).isEqualTo(qwen.piece(id));
            }
        }
        System.out.println("qwen.tiktoken vs Qwen2.5 vocab.json+merges.txt: " + (texts.size() - misses.size()) + "/" + texts.size());
        assertThat(misses).isEmpty();
    }

    @Test
    void qwenOneSpecialTokens(@TempDir Path dir) throws Exception {
        writeTiktoken(dir);
        Tokenizer t = Tokenizer.load(dir.resolve("qwen.tiktoken"));
        assertThat(t.encode("<|im_start|>user\nhi<|im_end|><|extra_0|><|extra_204|><|endoftext|>", false))
                .startsWith(151644).endsWith(151645, 151646, 151850, 151643);
        assertThat(t.eosId()).hasValue(151643);
        assertThat(t.bosId()).isEmpty();
        assertThat(t.isSpecial(151850)).isTrue();
        assertThat(t.decode(t.encode("a<|extra_7|>b", false), true)).isEqualTo("ab");
    }

    @Test
    void malformedLinesAreNamed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.tiktoken");
        Files.writeString(f, "IQ== 0\nnot-base64! 1\n");
        assertThatThrownBy(() -> Tokenizer.load(f)).hasMessageContaining("bad.tiktoken").hasMessageContaining("line 2");
        Files.writeString(f, "IQ== 0\nIg== 5\n");
        assertThatThrownBy(() -> Tokenizer.load(f)).hasMessageContaining("rank 5");
    }
}
