package dev.refusal4j.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.intervene.Interventions;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.LogSoftmax;
import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Shared;
import dev.refusal4j.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * lm-evaluation-harness's multiple-choice scoring, checked against answers computed without
 * refusal4j: log-likelihoods against the golden models' float64 reference logits, tokenization
 * against Hugging Face's ids for real tokenizers, and the scores by hand.
 */
class ChoiceAccuracyTest {
    @TempDir
    Path tmp;

    static int[] ids(Map<String, Npz.Array> ref, int s) {
        float[] f = ref.get("s" + s + "_ids").data();
        int[] ids = new int[f.length];
        for (int i = 0; i < f.length; i++) ids[i] = (int) f[i];
        return ids;
    }

    /** Σ log p(ids[t] | ids[..t]) for t in [from, to), from a reference sequence's logits in float64. */
    static double reference(Map<String, Npz.Array> ref, int s, int from, int to) {
        Npz.Array logits = ref.get("s" + s + "_logits");
        int V = logits.size(1);
        int[] ids = ids(ref, s);
        double ll = 0;
        for (int t = from; t < to; t++) ll += GoldenLetters.logSoftmax(logits.data(), (t - 1) * V, V, ids[t]);
        return ll;
    }

    static ChoiceAccuracy.Request request(int[] ids, int from, int split, int to) {
        return new ChoiceAccuracy.Request(Arrays.copyOfRange(ids, from, split), Arrays.copyOfRange(ids, split, to));
    }

    /**
     * Requests cut from a reference sequence (context = its first tokens, continuation = the next
     * ones): each log-likelihood is a sum of the reference's log-probabilities. The three lists take
     * the shared-prefix path with one context, with two contexts, and the whole-sequence path.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"llama", "gemma2", "qwen2", "mistral"})
    void logLikelihoodsAreTheReferenceLogProbabilities(String name) throws IOException {
        Path dir = Shared.path("golden", name);
        Map<String, Npz.Array> ref = Npz.read(dir.resolve("expected.npz"));
        int[] s = ids(ref, 2);
        try (Transformer m = Transformer.load(dir)) {
            int max = m.config.maxPositions;
            int[][][] cases = {   // {context end, continuation end} per request
                    {{8, 9}, {8, 10}, {8, 14}, {8, 19}},
                    {{5, 7}, {12, 19}},
                    {{2, 3}, {2, 6}},
            };
            for (int[][] c : cases) {
                List<ChoiceAccuracy.Request> reqs = new ArrayList<>();
                for (int[] r : c) reqs.add(request(s, 0, r[0], r[1]));
                boolean[] cut = new boolean[1];
                double[] ll = ChoiceAccuracy.logLikelihoods(m, reqs, null, max, cut);
                for (int i = 0; i < c.length; i++) {
                    assertThat(ll[i]).as("%s: tokens [%d, %d) after [0, %d)", name, c[i][0], c[i][1], c[i][0])
                            .isCloseTo(reference(ref, 2, c[i][0], c[i][1]), within(1e-4));
                }
                assertThat(cut[0]).isFalse();
            }
        }
    }

    /**
     * lm-eval's left truncation: context + continuation longer than max length + 1 keeps its last
     * max length + 1 tokens, so the model reads a window that starts inside the context. Checked
     * against one forward call over that window; at a max length that fits, the reference again.
     */
    @Test
    void truncatesFromTheLeftAsLmEvalDoes() throws IOException {
        Path dir = Shared.path("golden", "llama");
        Map<String, Npz.Array> ref = Npz.read(dir.resolve("expected.npz"));
        int[] s = ids(ref, 2);
        try (Transformer m = Transformer.load(dir)) {
            List<ChoiceAccuracy.Request> reqs = List.of(request(s, 0, 8, 14));
            boolean[] cut = new boolean[1];
            double ll = ChoiceAccuracy.logLikelihoods(m, reqs, null, 10, cut)[0];
            assertThat(cut[0]).isTrue();
            int[] window = Arrays.copyOfRange(s, 3, 14);   // the last 11 tokens
            float[] logits = m.forward(Forward.of(Arrays.copyOf(window, 10)));
            int V = m.config.vocab;
            double expected = 0;
            for (int t = 4; t < 10; t++) expected += LogSoftmax.logProb(logits, t * V, V, window[t + 1]);
            assertThat(ll).isCloseTo(expected, within(1e-5));   // float32 rounding: the context runs in a call of its own
            boolean[] fits = new boolean[1];
            assertThat(ChoiceAccuracy.logLikelihoods(m, reqs, null, 13, fits)[0]).isCloseTo(reference(ref, 2, 8, 14), within(1e-4));
            assertThat(fits[0]).isFalse();
        }
    }

    /** Hooks reach the shared context's call too: the same as one hooked forward call over each whole request. */
    @Test
    void hooksApplyToTheSharedContext() throws IOException {
        Path dir = Shared.path("golden", "llama");
        int[] s = ids(Npz.read(dir.resolve("expected.npz")), 2);
        float[] unit = new float[64];
        for (int i = 0; i < unit.length; i++) unit[i] = (float) Math.sin(i + 1);
        double norm = 0;
        for (float v : unit) norm += v * v;
        for (int i = 0; i < unit.length; i++) unit[i] /= (float) Math.sqrt(norm);
        Supplier<Hooks> ablate = () -> Interventions.ablate(new Hooks(), unit);
        try (Transformer m = Transformer.load(dir)) {
            List<ChoiceAccuracy.Request> reqs = List.of(request(s, 0, 9, 12), request(s, 0, 9, 16));
            double[] ll = ChoiceAccuracy.logLikelihoods(m, reqs, ablate, m.config.maxPositions, null);
            double[] plain = ChoiceAccuracy.logLikelihoods(m, reqs, null, m.config.maxPositions, null);
            int V = m.config.vocab;
            for (int i = 0; i < reqs.size(); i++) {
                int end = i == 0 ? 12 : 16;
                float[] logits = m.forward(Forward.of(Arrays.copyOf(s, end - 1)).hooks(ablate.get()));
                double expected = 0;
                for (int t = 8; t < end - 1; t++) expected += LogSoftmax.logProb(logits, t * V, V, s[t + 1]);
                assertThat(ll[i]).isCloseTo(expected, within(1e-5));
                assertThat(ll[i]).isNotCloseTo(plain[i], within(1e-3));
            }
        }
    }

    /** acc and acc_norm by hand: the longer choice loses on the sum and wins per character; ties go to the first. */
    @Test
    void accAndAccNormByHand() {
        double[] ll = {-3.0, -4.0};
        List<String> choices = List.of("ab", "abcdefgh");   // -1.5 and -0.5 per character
        assertThat(ChoiceAccuracy.prediction(ll)).isZero();
        assertThat(ChoiceAccuracy.normalizedPrediction(ll, choices)).isEqualTo(1);
        assertThat(ChoiceAccuracy.prediction(new double[] {-2, -1, -1})).isEqualTo(1);
        // Python's len() counts code points: "é" and "👍" are one character each
        assertThat(ChoiceAccuracy.normalizedPrediction(new double[] {-2.0, -2.1}, List.of("👍x", "é"))).isZero();
        assertThat(ChoiceAccuracy.normalizedPrediction(new double[] {-2.0, -1.9}, List.of("👍", "é"))).isEqualTo(1);
    }

    /** lm-eval's mean_stderr: sample standard deviation (n − 1) over √n; "N/A" (NaN) for one value. */
    @Test
    void stderrIsTheSampleStandardErrorOfTheMean() {
        assertThat(ChoiceAccuracy.meanStderr(new double[] {1, 0, 1, 1})).isCloseTo(0.25, within(1e-15));   // sd 0.5, n 4
        assertThat(ChoiceAccuracy.meanStderr(new double[] {0, 1, 1})).isCloseTo(Math.sqrt(1.0 / 3) / Math.sqrt(3), within(1e-15));
        assertThat(ChoiceAccuracy.meanStderr(new double[] {1})).isNaN();
    }

    /**
     * _encode_pair on real tokenizers, against the ids Hugging Face gives the whole sentence: a
     * trailing space of the context moves to the continuation, so the continuation begins with the
     * word-start token (Llama's "▁doing", Qwen's "Ġdoing") and the context keeps the BOS. Splitting
     * the text naively instead leaves the space on the context and loses that token.
     */
    @Test
    void encodePairMovesTheContextsTrailingSpace() throws IOException {
        String text = "Hello, how are you doing today?";
        Map<String, int[]> hf = hfIds(text);
        for (String name : List.of("tinyllama-chat", "qwen2.5-vocab-merges")) {
            Tokenizer tok = Tokenizer.load(Shared.path("tokenizers", "hf", name));
            int[] all = hf.get(name);
            int split = name.startsWith("tinyllama") ? 6 : 5;   // BOS + 5 words, or 5 words
            int[] context = Arrays.copyOf(all, split), continuation = Arrays.copyOfRange(all, split, all.length);
            for (String[] pair : new String[][] {{"Hello, how are you ", "doing today?"}, {"Hello, how are you", " doing today?"}}) {
                ChoiceAccuracy.Request r = ChoiceAccuracy.encode(tok, pair[0], pair[1]);
                assertThat(r.context()).as(name + " context of '" + pair[0] + "'").containsExactly(context);
                assertThat(r.continuation()).as(name + " continuation").containsExactly(continuation);
            }
            int[] naiveContext = tok.encode("Hello, how are you ", true);
            assertThat(naiveContext.length).as(name + ": the trailing space is a token of its own").isEqualTo(split + 1);
        }
        Tokenizer llama = Tokenizer.load(Shared.path("tokenizers", "hf", "tinyllama-chat"));
        ChoiceAccuracy.Request empty = ChoiceAccuracy.encode(llama, "", " today?");
        assertThat(empty.context()).containsExactly(1);   // an empty context is the BOS token
        assertThat(empty.continuation()).containsExactly(llama.encode(" today?", false));
    }

    static Map<String, int[]> hfIds(String text) throws IOException {
        Map<String, int[]> out = new java.util.HashMap<>();
        for (String line : Files.readAllLines(Shared.path("tokenizers", "expected", "hf_tokenizers_cases.jsonl"))) {
            JsonNode o = Json.MAPPER.readTree(line);
            if (!o.get("text").asText().equals(text)) continue;
            JsonNode a = o.get("ids_with_special");
            int[] ids = new int[a.size()];
            for (int i = 0; i < ids.length; i++) ids[i] = a.get(i).asInt();
            out.put(o.get("tokenizer").asText(), ids);
        }
        return out;
    }

    /**
     * The whole text path on the letters model ({@link GoldenLetters#task}), every log-likelihood
     * from the reference: in question 1 the one-letter choice has the largest log-likelihood and the eight-letter one the
     * largest per letter, so acc and acc_norm disagree; question 3 is question 1 with a trailing
     * space, which lm-eval moves into the continuation, so it scores the same.
     */
    @Test
    void scoresTheLettersTaskFromTheReference() throws IOException {
        int[] ends1 = {7, 8, 10, 14}, ends2 = {17, 19};
        double[] ll1 = new double[4], ll2 = new double[2];
        for (int i = 0; i < 4; i++) ll1[i] = GoldenLetters.referenceLogLikelihood(5, ends1[i]);   // " " + choice: the space token first
        for (int i = 0; i < 2; i++) ll2[i] = GoldenLetters.referenceLogLikelihood(15, ends2[i]);
        List<String> c1 = List.of("a", "ab", "abcd", "abcdefgh"), c2 = List.of("a", "abc");   // only the lengths count
        assertThat(ChoiceAccuracy.prediction(ll1)).isZero();
        assertThat(ChoiceAccuracy.normalizedPrediction(ll1, c1)).isEqualTo(3);
        assertThat(ChoiceAccuracy.prediction(ll2)).isZero();
        assertThat(ChoiceAccuracy.normalizedPrediction(ll2, c2)).isEqualTo(1);
        // golds 3, 0, 0: acc = {0, 1, 1}, acc_norm = {1, 0, 0}
        Path model = GoldenLetters.create(tmp.resolve("letters"));
        Path file = tmp.resolve("letters.jsonl");
        Files.writeString(file, GoldenLetters.task());
        ChoiceTask task = ChoiceTask.read(file);
        assertThat(task.name()).isEqualTo("letters");
        assertThat(task.questions()).hasSize(3);
        assertThat(task.questions().get(2).where()).endsWith("letters.jsonl, line 4");
        try (Transformer m = Transformer.load(model)) {
            Tokenizer tok = Tokenizer.load(model);
            ChoiceAccuracy.Request r = ChoiceAccuracy.encode(tok, task.questions().get(0).question(), " " + task.questions().get(0).choices().get(3));
            assertThat(r.context()).containsExactly(Arrays.copyOf(GoldenLetters.IDS, 5));
            assertThat(r.continuation()).containsExactly(Arrays.copyOfRange(GoldenLetters.IDS, 5, 14));
            long[] seen = new long[1];
            ChoiceAccuracy.Scores sc = ChoiceAccuracy.evaluate(task, m, tok, null, d -> seen[0] = d);
            assertThat(seen[0]).isEqualTo(3);
            assertThat(sc.task()).isEqualTo("letters");
            assertThat(sc.n()).isEqualTo(3);
            assertThat(sc.correct()).isEqualTo(2);
            assertThat(sc.correctNorm()).isEqualTo(1);
            assertThat(sc.acc()).isCloseTo(2.0 / 3, within(1e-15));
            assertThat(sc.accNorm()).isCloseTo(1.0 / 3, within(1e-15));
            assertThat(sc.accStderr()).isCloseTo(1.0 / 3, within(1e-12));   // sd √(1/3), n 3
            assertThat(sc.accNormStderr()).isCloseTo(1.0 / 3, within(1e-12));
            assertThat(sc.truncated()).isZero();
            assertThat(ChoiceAccuracy.evaluate(task.limit(1), m, tok, null, ProgressListener.NONE).acc()).isZero();
            // a context of 4 tokens cannot hold question 1's 5
            assertThatThrownBy(() -> ChoiceAccuracy.evaluate(task, m, tok, null, 4, ProgressListener.NONE))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("letters.jsonl, line 1").hasMessageContaining("longer than the context of 4");
        }
    }
}
