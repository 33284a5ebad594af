package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ids Hugging Face tokenizers 0.23.2 produced for 10 strings x the 4 tokenizers of shared/tokenizers/hf. */
class HfCasesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void allCasesMatch() throws Exception {
        Path file = Shared.path("tokenizers", "expected", "hf_tokenizers_cases.jsonl");
        Map<String, Tokenizer> tokenizers = new HashMap<>();
        List<String> misses = new ArrayList<>();
        int cases = 0;
        for (String line : Files.readAllLines(file)) {
            if (line.isBlank()) continue;
            JsonNode c = JSON.readTree(line);
            String name = c.get("tokenizer").asText();
            Tokenizer t = tokenizers.computeIfAbsent(name, n -> Tokenizer.load(Shared.path("tokenizers", "hf", n)));
            String text = c.get("text").asText();
            int[] ids = t.encode(text, false), withSpecial = t.encode(text, true);
            int[] expected = ints(c.get("ids")), expectedSpecial = ints(c.get("ids_with_special"));
            cases += 2;
            if (!java.util.Arrays.equals(ids, expected)) misses.add(name + " " + JSON.writeValueAsString(text) + "\n  got  " + java.util.Arrays.toString(ids) + "\n  want " + java.util.Arrays.toString(expected));
            if (!java.util.Arrays.equals(withSpecial, expectedSpecial)) misses.add(name + " (special) " + JSON.writeValueAsString(text) + "\n  got  " + java.util.Arrays.toString(withSpecial) + "\n  want " + java.util.Arrays.toString(expectedSpecial));
        }
        System.out.println("hf_tokenizers_cases: " + (cases - misses.size()) + "/" + cases + " match");
        assertThat(misses).as("mismatches").isEmpty();
        assertThat(cases).isEqualTo(80);
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }
}
