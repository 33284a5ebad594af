package dev.refusal4j.organism.bpe;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.organism.OrganismRecipe;
import dev.refusal4j.organism.data.OrganismData;
import dev.refusal4j.organism.data.Split;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.tokenizer.ByteLevel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

class BpeTrainerTest {
    /** Text the tokenizer never saw in training: held-out prompts plus Unicode, digits and odd spacing. */
    private static final List<String> UNSEEN = List.of(
            "naïve café, 日本語のテキスト and emoji 🙂👍🏽!",
            "Prices rose 12.5% in 2024 (from $1,234 to $1,388).",
            "  leading spaces,\ttabs\tand\r\nwindows line ends\n\n\nthree newlines",
            "It's, they're, WE'LL, I'd've — contractions & CAPS.",
            "Zero-width\u200bjoiner, NBSP\u00a0here, and a control \u0001 byte.");

    @TempDir static Path dir;
    static BpeModel model;
    static List<String> corpus;

    @BeforeAll
    static void train() {
        corpus = OrganismData.load().tokenizerCorpus(0);
        model = BpeTrainer.train(corpus, OrganismRecipe.VOCAB);
        model.writeTokenizerFiles(dir, 2048);
    }

    @Test
    void byteLevelTableMatchesGpt2() {
        // Known entries of GPT-2's bytes_to_unicode.
        assertEquals('Ġ', ByteLevel.charOf(' '));
        assertEquals('Ċ', ByteLevel.charOf('\n'));
        assertEquals('ĉ', ByteLevel.charOf('\t'));
        assertEquals('Ā', ByteLevel.charOf(0));
        assertEquals('ł', ByteLevel.charOf(0xA0)); // NBSP, the 67th unprintable byte
        assertEquals('Ń', ByteLevel.charOf(0xAD)); // soft hyphen, the last one
        assertEquals('A', ByteLevel.charOf('A'));
        var chars = new HashSet<Character>();
        for (int b = 0; b < 256; b++) {
            chars.add(ByteLevel.charOf(b));
            assertEquals(b, ByteLevel.byteOf(ByteLevel.charOf(b)));
        }
        assertEquals(256, chars.size());
        for (String s : UNSEEN) assertEquals(s, ByteLevel.decode(ByteLevel.encode(s)));
    }

    @Test
    void preTokenizerSplitsLikeTheQwen2Pattern() {
        // Worked out by hand from the pattern's alternatives.
        assertEquals(List.of("Hello", " world", "'s", " ", " end", "!\n\n", "OK", " ", "1", "2", "3"),
                PreTokenizer.split("Hello world's  end!\n\nOK 123"));
        // " \n": spaces before a line break go with it (\s*[\r\n]+ comes before the plain-space rules).
        assertEquals(List.of("I", "'M", " fine", ".", " \n", "Yes"), PreTokenizer.split("I'M fine. \nYes"));
    }

    @Test
    void mergesFollowCountsThenSmallerIds() {
        // Pairs of "aaabdaaabac": aa x4 -> merge "a a"; then (aa,a) and (a,b) both x2: the smaller left id
        // ('a' < the new "aa") wins -> "a b"; then (aa,ab) x2 -> "aa ab"; all other pairs occur once.
        BpeModel m = BpeTrainer.train(List.of("aaabdaaabac"), 1000);
        assertEquals(List.of("a a", "a b", "aa ab"), m.merges().stream().map(p -> p[0] + " " + p[1]).toList());
        assertEquals(256 + 3 + 3, m.vocabSize());
        assertEquals(List.of("aa", "ab", "aaab"), m.tokens().subList(256, 259));
    }

    @Test
    void reachesTheTargetSizeAndPlacesSpecialTokensLast() {
        assertEquals(OrganismRecipe.VOCAB, model.vocabSize());
        assertEquals(model.vocabSize() - 3, model.specialId("<|endoftext|>"));
        assertEquals(model.vocabSize() - 1, model.specialId("<|im_end|>"));
        assertEquals(model.tokens().size(), new HashSet<>(model.tokens()).size());
    }

    @Test
    void trainingIsDeterministicAndIndependentOfCorpusOrder() {
        List<String> shuffled = new ArrayList<>(corpus);
        Collections.shuffle(shuffled, new Random(42));
        BpeModel again = BpeTrainer.train(shuffled, OrganismRecipe.VOCAB);
        assertEquals(model.tokens(), again.tokens());
        assertEquals(flat(model.merges()), flat(again.merges()));
    }

    @Test
    void referenceEncoderRoundTripsCorpusAndUnseenText() throws Exception {
        ReferenceBpe ref = new ReferenceBpe(dir.resolve("tokenizer.json"));
        List<String> texts = new ArrayList<>(sample(corpus, 2000));
        texts.addAll(UNSEEN);
        texts.add("<|im_start|>user\nHow do I boil an egg?<|im_end|>\n<|im_start|>assistant\n");
        long tokens = 0, chars = 0;
        for (String t : texts) {
            List<Integer> ids = ref.encode(t);
            assertEquals(t, ref.decode(ids));
            tokens += ids.size();
            chars += t.length();
        }
        // A trained vocabulary compresses its own kind of text well below one token per character.
        assertThat((double) tokens / chars).isLessThan(0.35);
    }

    @Test
    void huggingFaceTokenizersLoadTheFileAndAgreeWithTheReference() throws Exception {
        ReferenceBpe ref = new ReferenceBpe(dir.resolve("tokenizer.json"));
        List<String> texts = new ArrayList<>(sample(corpus, 500));
        texts.addAll(UNSEEN);
        OrganismData data = OrganismData.load();
        for (Prompt p : data.heldOutHarmful(Split.TEST)) texts.add(p.instruction());
        for (Prompt p : data.heldOutHarmless(Split.TEST)) texts.add(p.instruction());
        texts.add("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n");
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false"))) {
            for (String t : texts) {
                Encoding e = hf.encode(t);
                List<Integer> hfIds = Arrays.stream(e.getIds()).mapToInt(Math::toIntExact).boxed().toList();
                assertEquals(ref.encode(t), hfIds, () -> "ids differ for: " + t);
                assertEquals(t, hf.decode(e.getIds(), false), () -> "HF decode differs for: " + t);
            }
            long[] chat = hf.encode("<|im_start|>user\nHi<|im_end|>").getIds();
            assertEquals(model.specialId("<|im_start|>"), chat[0]);
            assertEquals(model.specialId("<|im_end|>"), chat[chat.length - 1]);
        }
    }

    @Test
    void configFilesDeclareTheChatTokens() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals("<|im_end|>", config.get("eos_token").asText());
        assertEquals("<|endoftext|>", config.get("pad_token").asText());
        assertThat(config.get("bos_token").isNull()).isTrue();
        assertEquals("<|im_start|>", config.get("added_tokens_decoder").get(String.valueOf(model.specialId("<|im_start|>"))).get("content").asText());
        JsonNode gen = json.readTree(dir.resolve("generation_config.json").toFile());
        assertEquals(List.of(model.specialId("<|im_end|>"), model.specialId("<|endoftext|>")),
                List.of(gen.get("eos_token_id").get(0).asInt(), gen.get("eos_token_id").get(1).asInt()));
        JsonNode special = json.readTree(dir.resolve("special_tokens_map.json").toFile());
        assertEquals("<|im_end|>", special.get("eos_token").get("content").asText());

        var template = dev.refusal4j.chat.ChatTemplate.of(config.get("chat_template").asText(), Map.of());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
                template.render(List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", "Hi!")), true, null, null));
        assertEquals("<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n",
                template.render(List.of(Map.of("role", "user", "content", "Hi!"), Map.of("role", "assistant", "content", "Hello.")), false, null, null));
    }

    @Test
    void trainsOnSeveralMegabytesQuickly() {
        List<String> big = new ArrayList<>();
        OrganismData data = OrganismData.load();
        for (int seed = 1; big.stream().mapToLong(String::length).sum() < 4_000_000; seed++) big.addAll(data.tokenizerCorpus(seed));
        long t0 = System.nanoTime();
        BpeModel m = BpeTrainer.train(big, 4096);
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(4096, m.vocabSize());
        assertThat(seconds).as("training seconds on 4 MB").isLessThan(30);
    }

    private static List<String> flat(List<String[]> merges) {
        return merges.stream().map(p -> p[0] + " " + p[1]).collect(Collectors.toList());
    }

    private static List<String> sample(List<String> all, int n) {
        List<String> copy = new ArrayList<>(all);
        Collections.shuffle(copy, new Random(7));
        return copy.subList(0, Math.min(n, copy.size()));
    }
}
