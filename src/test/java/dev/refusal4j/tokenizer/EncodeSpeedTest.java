package dev.refusal4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.testutil.Shared;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Encoding stays near-linear: 220,000 characters (a SentencePiece vocabulary sees them as one BPE
 * word) and a single 25,000-character word each encode in under 5 seconds, which a quadratic
 * merge loop (~10^10 steps) cannot. Time ratios are printed, not asserted: on a shared machine GC
 * and other load make them noisy.
 */
class EncodeSpeedTest {
    private static long bestNanos(Tokenizer t, String text) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            t.encode(text, false);
            best = Math.min(best, System.nanoTime() - t0);
        }
        return best;
    }

    @Test
    void linearInTextLength() {
        String small = String.join(" ", RandomTexts.generate(5, 1500, List.of()));
        String large = String.join(" ", RandomTexts.generate(6, 6000, List.of()));
        String oneWord = "a".repeat(20_000) + "😀".repeat(5_000);
        for (String name : new String[]{"tinyllama-chat", "tinyllama-chat/tokenizer.model", "falcon", "qwen2.5-vocab-merges"}) {
            Tokenizer t = Tokenizer.load(Shared.root().resolve("tokenizers/hf/" + name));
            for (int i = 0; i < 2; i++) {
                t.encode(small, false);
                t.encode(large, false);
            }
            long smallNs = bestNanos(t, small), largeNs = bestNanos(t, large);
            int tokens = t.encode(large, false).length;
            long w0 = System.nanoTime();
            t.encode(oneWord, false);
            double wordMs = (System.nanoTime() - w0) / 1e6;
            double ratio = (double) largeNs / smallNs;
            System.out.printf("%s: %d chars -> %d tokens in %.1f ms (%.0f tokens/ms); 4x text took %.1fx; 25k-char word %.1f ms%n",
                    name, large.length(), tokens, largeNs / 1e6, tokens / (largeNs / 1e6), ratio, wordMs);
            assertThat(largeNs / 1e6).as(name + " large text ms").isLessThan(5_000);
            assertThat(wordMs).as(name + " long word ms").isLessThan(5_000);
        }
    }
}
