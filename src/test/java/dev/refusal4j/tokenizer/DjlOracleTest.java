package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Hugging Face's own Rust tokenizers (through DJL, test scope only) as the independent answer:
 * identical ids with and without special tokens, identical decodes, and exact decode round trips,
 * on a seeded corpus, for every tokenizer.json in ../shared and for generated variants.
 */
class DjlOracleTest {
    static {
        System.setProperty("DJL_CACHE_DIR", Path.of("target", "djl-cache").toAbsolutePath().toString());
        System.setProperty("offline", "true");
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEXTS = 400;
    private static final long SEED = 20240726L;
    /** Degenerate inputs: empty, white space only, lone marks and controls. */
    private static final List<String> EDGES = List.of("", " ", "  ", "\n", "\t\n ", "\r\n\r\n", "a", " a", "a ", "😀",
            "\u0301", "\u00A0", "\u2581", " \u2581 ", "Ġ", "'s", "'S", "\u017F's", "123456789", "٣٤٥", "\u0000x\u0007", "\uFEFF");
    /** Generated variants whose configuration keeps every text (the others add a prefix space by design). */
    private static final java.util.Set<String> LOSSLESS = java.util.Set.of("qwen2.5-converted", "llama3-pattern", "tekken-pattern", "llama-normalized-specials", "unigram-byte-fallback");

    @Test
    void sharedAndGeneratedTokenizersMatchHuggingFace() throws Exception {
        Map<String, Path> files = new LinkedHashMap<>();
        try (Stream<Path> s = Files.walk(Shared.root())) {
            s.filter(p -> p.getFileName().toString().equals("tokenizer.json") && !p.toString().contains("/bad/"))
                    .sorted().forEach(p -> files.put(Shared.root().relativize(p).toString(), p));
        }
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
        files.putAll(OracleVariants.write(Path.of("target", "oracle-tokenizers")));
        List<String> failures = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        for (var e : files.entrySet()) {
            Path file = e.getValue();
            Tokenizer ours = e.getKey().equals("qwen2.5-converted")
                    ? Tokenizer.load(Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges")) // vocab.json + merges.txt loader
                    : Tokenizer.load(file);
            List<String> specials = new ArrayList<>();
            for (JsonNode t : JSON.readTree(file.toFile()).path("added_tokens")) specials.add(t.get("content").asText());
            List<String> texts = new ArrayList<>(RandomTexts.generate(SEED, TEXTS - EDGES.size() - 2 * specials.size(), specials));
            texts.addAll(EDGES);
            for (String sp : specials) {
                texts.add(sp);
                texts.add("  " + sp + "  x" + sp + sp + "\n");
            }
            int[] counts = compare(e.getKey(), file, ours, texts, specials, failures);
            report.append(String.format("%n  %-40s ids %d/%d, decodes %d/%d, cut decodes %d/%d, round trips %d/%d", e.getKey(),
                    counts[0], 2 * TEXTS, counts[1], 2 * TEXTS, counts[4], counts[5], counts[2], counts[3]));
        }
        System.out.println("DJL (HF tokenizers 0.21) oracle, " + TEXTS + " texts each, seed " + SEED + ":" + report);
        assertThat(failures).as("mismatches against Hugging Face tokenizers").isEmpty();
    }

    /** @return {ids matching, decodes matching, round trips exact, texts checked for round trips, cut decodes matching, cut decodes} */
    private static int[] compare(String name, Path file, Tokenizer ours, List<String> texts, List<String> specials,
                                 List<String> failures) throws Exception {
        int idsOk = 0, decodesOk = 0, roundTrips = 0, plainTexts = 0, cuts = 0, cutsOk = 0;
        Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
        try (InputStream in = Files.newInputStream(file);
             HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(in, options)) {
            for (String text : texts) {
                for (boolean special : new boolean[]{false, true}) {
                    long[] want = hf.encode(text, special, false).getIds();
                    int[] got = ours.encode(text, special);
                    if (Arrays.equals(Arrays.stream(got).asLongStream().toArray(), want)) idsOk++;
                    else if (failures.size() < 30) failures.add(name + " ids " + JSON.writeValueAsString(text) + " special=" + special
                            + "\n   " + firstDifference(ours, got, want));
                    // cut sequences: bytes of a character split off at either end (U+FFFD handling)
                    if (want.length > 2) {
                        for (long[] cut : new long[][]{Arrays.copyOf(want, want.length - 1), Arrays.copyOfRange(want, 1, want.length)}) {
                            String w = hf.decode(cut, false), g = ours.decode(Arrays.stream(cut).mapToInt(x -> (int) x).toArray(), false);
                            if (w.equals(g)) cutsOk++;
                            else if (failures.size() < 30) failures.add(name + " decode of a cut sequence of " + JSON.writeValueAsString(text)
                                    + "\n   got  " + JSON.writeValueAsString(g) + "\n   want " + JSON.writeValueAsString(w));
                            cuts++;
                        }
                    }
                    boolean skip = special;
                    String wantText = hf.decode(want, skip), gotText = ours.decode(Arrays.stream(want).mapToInt(x -> (int) x).toArray(), skip);
                    if (wantText.equals(gotText)) decodesOk++;
                    else if (failures.size() < 30) failures.add(name + " decode(skip=" + skip + ") of " + JSON.writeValueAsString(text)
                            + "\n   got  " + JSON.writeValueAsString(gotText) + "\n   want " + JSON.writeValueAsString(wantText));
                }
                // Lossless by construction except for: special tokens (rstrip eats spaces), SentencePiece's
                // own space mark U+2581 (decodes to a space), and text NFC changes (Qwen normalizes).
                if (specials.stream().noneMatch(text::contains) && !text.contains("\u2581")
                        && java.text.Normalizer.isNormalized(text, java.text.Normalizer.Form.NFC)) {
                    plainTexts++;
                    String back = ours.decode(ours.encode(text, false), false);
                    if (back.equals(text)) roundTrips++;
                    else if (LOSSLESS.contains(name) || name.startsWith("tokenizers/")) failures.add(name + " round trip of " + JSON.writeValueAsString(text)
                            + " gave " + JSON.writeValueAsString(back));
                }
            }
        }
        return new int[]{idsOk, decodesOk, roundTrips, plainTexts, cutsOk, cuts};
    }

    /** Where two id sequences part, with the pieces around that point. */
    private static String firstDifference(Tokenizer t, int[] got, long[] want) {
        int i = 0;
        while (i < got.length && i < want.length && got[i] == want[i]) i++;
        StringBuilder sb = new StringBuilder("first difference at token " + i + ":");
        sb.append("\n   got  ");
        for (int k = Math.max(0, i - 3); k < Math.min(got.length, i + 6); k++) sb.append(got[k]).append('=').append(JSON.valueToTree(t.piece(got[k])).toString()).append(' ');
        sb.append("\n   want ");
        for (int k = Math.max(0, i - 3); k < Math.min(want.length, i + 6); k++) sb.append(want[k]).append('=').append(JSON.valueToTree(t.piece((int) want[k])).toString()).append(' ');
        return sb.toString();
    }
}
