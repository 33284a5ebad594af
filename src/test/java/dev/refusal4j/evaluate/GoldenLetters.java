package dev.refusal4j.evaluate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Shared;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The golden llama model (vocabulary 256, every byte a token) with a tokenizer made so that its
 * float64 reference sequence 2 reads as text: a byte-level BPE without merges whose byte-to-id
 * table sends ' ' to id 179 (the sequence's tokens 5 and 15) and a letter to each other id of the
 * sequence. No BOS, as the reference runs the ids alone. A question and choices spelled from the
 * sequence (the question its first tokens, each choice " " + the tokens after) then have
 * log-likelihoods read off the reference logits, with no part of refusal4j in between.
 */
public final class GoldenLetters {
    private GoldenLetters() {}

    /** The reference sequence's ids. */
    public static final int[] IDS = {194, 121, 186, 0, 124, 179, 236, 219, 233, 229, 0, 255, 94, 170, 90, 179, 231, 171, 128};
    static final int SPACE = 179;

    /** id → the character that spells it (only the sequence's ids). */
    static Map<Integer, Character> letters() {
        Map<Integer, Character> m = new LinkedHashMap<>();
        m.put(SPACE, ' ');
        char next = 'a';
        for (int id : IDS) if (!m.containsKey(id)) m.put(id, next++);
        return m;
    }

    /** The text of ids[from, to). */
    public static String text(int from, int to) {
        Map<Integer, Character> m = letters();
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) s.append(m.get(IDS[i]));
        return s.toString();
    }

    /** Σ log p(IDS[t] | IDS[..t]) for t in [from, to), from the reference logits in float64. */
    public static double referenceLogLikelihood(int from, int to) throws IOException {
        if (reference == null) reference = Npz.read(Shared.path("golden", "llama", "expected.npz")).get("s2_logits");
        Npz.Array logits = reference;
        int V = logits.size(1);
        double ll = 0;
        for (int t = from; t < to; t++) ll += logSoftmax(logits.data(), (t - 1) * V, V, IDS[t]);
        return ll;
    }

    private static Npz.Array reference;

    static double logSoftmax(float[] x, int off, int n, int i) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) max = Math.max(max, x[off + k]);
        double sum = 0;
        for (int k = 0; k < n; k++) sum += Math.exp(x[off + k] - max);
        return x[off + i] - max - Math.log(sum);
    }

    /**
     * A task of three questions spelled from the sequence (JSONL). Question 1 is tokens 0..4, its
     * choices tokens 6..6, 6..7, 6..9 and 6..13 (after the space, token 5); question 2 is tokens
     * 0..14, its choices 16..16 and 16..18; question 3 is question 1 with a trailing space. Golds
     * 3, 0 ("answer", the alias) and 0. From the reference, the shortest choice always has the
     * largest log-likelihood and the longest the largest per letter, so acc is 2/3 and acc_norm
     * 1/3 (ChoiceAccuracyTest works this out).
     */
    public static String task() {
        String c1 = "[\"" + text(6, 7) + "\", \"" + text(6, 8) + "\", \"" + text(6, 10) + "\", \"" + text(6, 14) + "\"]";
        return "{\"question\": \"" + text(0, 5) + "\", \"choices\": " + c1 + ", \"gold\": 3}\n"
                + "{\"question\": \"" + text(0, 15) + "\", \"choices\": [\"" + text(16, 17) + "\", \"" + text(16, 19) + "\"], \"answer\": 0}\n"
                + "\n"   // blank lines are skipped
                + "{\"question\": \"" + text(0, 5) + " \", \"choices\": " + c1 + ", \"gold\": 0, \"id\": \"question 1 with a trailing space\"}\n";
    }

    /** Writes the model folder: the golden weights and config, tokenizer.json, tokenizer_config.json. */
    public static Path create(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path golden = Shared.path("golden", "llama");
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(golden.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        // byte → id: the letters' and the space's bytes to their ids, every other byte to a free id
        int[] idOfByte = new int[256];
        java.util.Arrays.fill(idOfByte, -1);
        boolean[] used = new boolean[256];
        letters().forEach((id, ch) -> {
            idOfByte[ch] = id;
            used[id] = true;
        });
        int free = 0;
        for (int b = 0; b < 256; b++) {
            if (idOfByte[b] >= 0) continue;
            while (used[free]) free++;
            idOfByte[b] = free;
            used[free] = true;
        }
        new dev.refusal4j.testutil.ByteLevelTokenizerJson(idOfByte).write(dir.resolve("tokenizer.json"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = json.createObjectNode();
        cfg.putNull("bos_token");
        cfg.putNull("eos_token");
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(cfg));
        return dir;
    }
}
