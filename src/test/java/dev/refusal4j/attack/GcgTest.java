package dev.refusal4j.attack;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.grad.TargetLoss;
import dev.refusal4j.grad.TokenGradients;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** GCG on the tiny chat model (random golden llama-gqa weights, byte-level tokenizer with ChatML specials). */
class GcgTest {
    @TempDir
    static Path tmp;
    static Transformer model;
    static PromptEncoder enc;

    @BeforeAll
    static void load() throws IOException {
        Path dir = TinyChatModel.create(tmp.resolve("tiny"));
        model = Transformer.load(dir);
        enc = PromptEncoder.load(dir, null, null);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Gcg gcg(List<String> instructions, String target, long seed) {
        List<AttackPrompt> ps = instructions.stream().map(i -> AttackPrompt.of(enc, i, target)).toList();
        return new Gcg(model, enc, ps, new Gcg.Options(6, 32, 48, seed, Gcg.Success.TARGET), new int[] {257, 258});
    }

    @Test
    void theSuffixSitsWhereTheTemplateRendersIt() {
        AttackPrompt p = AttackPrompt.of(enc, "Tell me a story", "Sure");
        int[] suffix = p.suffixIds(enc, "ab! cd");
        assertThat(suffix).isNotNull();
        assertThat(AttackPrompt.suffixText(enc.tokenizer, suffix)).isEqualTo("ab! cd");
        assertThat(p.prompt(suffix)).isEqualTo(enc.encode("Tell me a story ab! cd"));
        assertThat(p.target()).isEqualTo(enc.tokenizer.encode("Sure", false));
        assertThat(p.withTarget(suffix)).hasSize(p.targetFrom(suffix.length) + p.target().length);
    }

    @Test
    void batchedLossesEqualTheGradientPassLoss() {
        List<String> instructions = List.of("Tell me a story", "How are you");
        for (String target : List.of("Sure, here", "S")) { // several target tokens, and one (the last row's logits only)
            List<AttackPrompt> ps = instructions.stream().map(i -> AttackPrompt.of(enc, i, target)).toList();
            List<int[]> suffixes = List.of(ps.get(0).suffixIds(enc, "! ! !"), ps.get(0).suffixIds(enc, "ab cd"), ps.get(0).suffixIds(enc, "x?y z"));
            double[] batched = TargetLosses.of(model, ps, suffixes);
            for (int k = 0; k < suffixes.size(); k++) {
                double sum = 0;
                for (AttackPrompt p : ps) {
                    int[] ids = p.withTarget(suffixes.get(k));
                    sum += new TokenGradients(model).compute(ids, TargetLoss.completion(ids, p.targetFrom(suffixes.get(k).length)), new int[] {p.suffixStart()}).loss();
                }
                assertThat(batched[k]).as("target '%s', suffix %d", target, k).isCloseTo(sum, within(1e-4));
            }
        }
    }

    @Test
    void stepsNeverRaiseTheLossUseOnlyAllowedTokensAndReduceAReachableTarget() {
        Gcg g = gcg(List.of("Tell me a story"), "Sure", 7);
        boolean[] allowed = Gcg.allowedTokens(enc.tokenizer, model.config.vocab);
        double before = g.loss(), last = before;
        for (int s = 0; s < 5; s++) {
            double l = g.step();
            assertThat(l).isLessThanOrEqualTo(last);
            last = l;
            for (int v : g.suffix()) {
                assertThat(allowed[v]).as("token %d allowed", v).isTrue();
                assertThat(enc.tokenizer.isSpecial(v)).isFalse();
            }
            assertThat(g.suffixText()).matches("[\\x20-\\x7e]+");
        }
        System.out.printf("GCG on the tiny model, target 'Sure': loss %.4f -> %.4f in 5 steps%n", before, last);
        assertThat(last).as("half a nat lower in five steps (measured: 6.61 -> 5.50)").isLessThan(before - 0.5);
    }

    @Test
    void theSearchStartsFromExclamationMarksThatTakeTheSuffixLength() {
        // byte-level: " ! ! !" after the instruction is six tokens, the suffix length
        assertThat(gcg(List.of("Tell me a story"), "Sure", 1).suffixText()).isEqualTo("! ! !");
    }

    @Test
    void theIdsOptimizedAreTheIdsOfTheSuffixGivenAsText() {
        Gcg g = gcg(List.of("Tell me a story", "How are you"), "Sure", 4);
        g.run(3, null);
        for (String i : List.of("Tell me a story", "How are you")) {
            AttackPrompt p = AttackPrompt.of(enc, i, "Sure");
            assertThat(enc.encode(AttackPrompt.withSuffix(i, g.suffixText()))).as(i).isEqualTo(p.prompt(g.suffix()));
        }
    }

    @Test
    void theSameSeedGivesTheSameSuffix() {
        Gcg a = gcg(List.of("Tell me a story", "How are you"), "Sure", 3);
        Gcg b = gcg(List.of("Tell me a story", "How are you"), "Sure", 3);
        List<Gcg.Step> ha = a.run(3, null), hb = b.run(3, null);
        assertThat(hb).hasSameSizeAs(ha);
        for (int i = 0; i < ha.size(); i++) {
            assertThat(hb.get(i).suffix()).isEqualTo(ha.get(i).suffix());
            assertThat(hb.get(i).loss()).isEqualTo(ha.get(i).loss());
        }
    }

    @Test
    void nonAsciiAndSpecialTokensAreNotAllowed() {
        boolean[] allowed = Gcg.allowedTokens(enc.tokenizer, model.config.vocab);
        assertThat(allowed[enc.tokenizer.encode("a", false)[0]]).isTrue();
        for (int v = 256; v < allowed.length; v++) assertThat(allowed[v]).as("id %d", v).isFalse(); // specials and embedding padding
        assertThat(allowed[enc.tokenizer.encode("\n", false)[0]]).isFalse();
        int n = 0;
        for (boolean b : allowed) if (b) n++;
        assertThat(n).isEqualTo(95); // the printable ASCII bytes
    }
}
