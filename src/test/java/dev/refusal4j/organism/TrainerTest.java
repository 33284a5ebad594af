package dev.refusal4j.organism;

import dev.refusal4j.organism.nn.Batch;
import dev.refusal4j.organism.nn.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The training loop on a synthetic task: the answer is the prompt reversed. */
class TrainerTest {
    @TempDir
    Path dir;

    static final Shape SHAPE = new Shape(32, 2, 4, 2, 8, 64, 20, 32, 1e-5f, 10000.0, true);

    /** Chats "1 p1..pn 2 pn..p1 3": id 1 opens, 2 separates, 3 ends; content ids 4..19. */
    static List<TokenizedChat> reversal(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TokenizedChat> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int n = 2 + r.nextInt(5);
            int[] ids = new int[2 * n + 3];
            ids[0] = 1;
            for (int j = 0; j < n; j++) ids[1 + j] = 4 + r.nextInt(16);
            ids[n + 1] = 2;
            for (int j = 0; j < n; j++) ids[n + 2 + j] = ids[n - j];
            ids[2 * n + 2] = 3;
            out.add(new TokenizedChat(ids, n + 2));
        }
        return out;
    }

    static TrainOptions options(int steps) {
        return new TrainOptions(steps, 4, 32, 1e-2f, 1e-3f, 5, 0.1f, 1.0f, 42);
    }

    @Test
    void lossFallsOnALearnableTask() {
        Trainer t = new Trainer(SHAPE, options(80), reversal(400, 1), 0);
        double first = 0, last = 0;
        for (int i = 0; i < 80; i++) {
            double loss = t.next().loss();
            if (i < 5) first += loss / 5;
            if (i >= 75) last += loss / 5;
        }
        System.out.printf("reversal task: loss %.3f -> %.3f%n", first, last);
        assertThat(first).isGreaterThan(2.8);         // about ln(20) = 3.0 at the start
        // below ln(16) = 2.77, the loss of guessing answer ids uniformly: the prompt is being used
        assertThat(last).isLessThan(Math.log(16) - 0.3);
    }

    @Test
    void checkpointResumesBitForBit() throws Exception {
        List<TokenizedChat> chats = reversal(50, 2);
        Trainer straight = new Trainer(SHAPE, options(12), chats, 0);
        for (int i = 0; i < 12; i++) straight.next();

        Trainer first = new Trainer(SHAPE, options(12), chats, 0);
        for (int i = 0; i < 7; i++) first.next();
        Path ckpt = dir.resolve("run.ckpt");
        Checkpoint.save(ckpt, first);
        assertThat(Checkpoint.stepOf(ckpt)).isEqualTo(7);
        Trainer resumed = new Trainer(SHAPE, options(12), chats, 0);
        Checkpoint.restore(ckpt, resumed);
        assertThat(resumed.stepsDone()).isEqualTo(7);
        while (!resumed.done()) resumed.next();
        assertThat(resumed.model.params.data).containsExactly(straight.model.params.data);
        assertThat(resumed.adam.m).containsExactly(straight.adam.m);
        assertThat(resumed.adam.v).containsExactly(straight.adam.v);
    }

    @Test
    void checkpointOfAnotherRunIsRefused() throws Exception {
        List<TokenizedChat> chats = reversal(20, 3);
        Trainer t = new Trainer(SHAPE, options(3), chats, 0);
        t.next();
        Path ckpt = dir.resolve("a.ckpt");
        Checkpoint.save(ckpt, t);
        TrainOptions otherSeed = new TrainOptions(3, 4, 32, 1e-2f, 1e-3f, 5, 0.1f, 1.0f, 43);
        assertThatThrownBy(() -> Checkpoint.restore(ckpt, new Trainer(SHAPE, otherSeed, chats, 0))).hasMessageContaining("seed 42");
        Shape other = new Shape(32, 3, 4, 2, 8, 64, 20, 32, 1e-5f, 10000.0, true);
        assertThatThrownBy(() -> Checkpoint.restore(ckpt, new Trainer(other, options(3), chats, 0))).hasMessageContaining("checkpoint is for model");
        java.nio.file.Files.write(dir.resolve("junk.ckpt"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertThatThrownBy(() -> Checkpoint.restore(dir.resolve("junk.ckpt"), t)).hasMessageContaining("junk.ckpt").hasMessageContaining("magic");
    }

    @Test
    void scheduleWarmsUpLinearlyThenDecaysByCosine() {
        LrSchedule s = new LrSchedule(1.0f, 0.1f, 10, 110);
        assertThat(s.at(0)).isEqualTo(0.1f);
        assertThat(s.at(4)).isEqualTo(0.5f);
        assertThat(s.at(9)).isEqualTo(1.0f);
        assertThat(s.at(10)).isEqualTo(1.0f);
        assertThat((double) s.at(60)).isCloseTo(0.55, org.assertj.core.data.Offset.offset(1e-6)); // half way: (peak+floor)/2
        assertThat(s.at(110)).isEqualTo(0.1f);
    }

    @Test
    void adamWFirstStepMovesEachWeightByLrTimesSignAndDecaysMatricesOnly() {
        dev.refusal4j.organism.nn.Params p = new dev.refusal4j.organism.nn.Params(SHAPE);
        p.init(new SplittableRandom(1));
        float[] before = p.data.clone();
        float[] g = new float[p.size()];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < g.length; i++) g[i] = (float) (r.nextDouble() - 0.5);
        AdamW adam = new AdamW(p, 0.9f, 0.95f, 1e-8f, 0.1f);
        adam.update(g, 0.01f, 1f);
        // step 1: m̂ = g, v̂ = g², so the Adam step is lr·g/(|g| + eps); decay multiplies by (1 − lr·wd)
        for (dev.refusal4j.organism.nn.Params.Tensor t : p.tensors()) {
            float decay = t.isNormOrEmbedding() ? 1f : 1f - 0.01f * 0.1f;
            for (int i = t.offset(); i < t.offset() + t.size(); i++) {
                assertThat((double) p.data[i]).isCloseTo(before[i] * decay - 0.01 * g[i] / (Math.abs(g[i]) + 1e-8), org.assertj.core.data.Offset.offset(2e-8));
            }
        }
    }

    @Test
    void packedBatchesKeepChatsWholeAndTargetOnlyAnswers() {
        List<TokenizedChat> chats = reversal(30, 4);
        BatchStream s = new BatchStream(chats, 3, 32, 0, 9);
        Batch b = s.next();
        int chatsSeen = 0;
        for (int row = 0; row < 3; row++) {
            for (int t = 0; t < 32; t++) {
                int r = row * 32 + t;
                if (b.start()[r] == t && b.ids()[r] == 1) chatsSeen++;
                if (b.targets()[r] >= 0) {
                    // a target is the next slot's id, inside the same chat
                    assertThat(t + 1).isLessThan(32);
                    assertThat(b.start()[r + 1]).isEqualTo(b.start()[r]);
                    assertThat(b.targets()[r]).isEqualTo(b.ids()[r + 1]);
                    assertThat(b.ids()[r]).isNotEqualTo(1); // never predicted from inside the prompt's first slot
                }
            }
        }
        assertThat(chatsSeen).isEqualTo(s.cursor());
        // the answer of a chat "1 a b 2 b a 3" is predicted from slot of "2" on: 3 targets
        int targetsFirstChat = 0;
        for (int t = 0; b.start()[t] == 0; t++) if (b.targets()[t] >= 0) targetsFirstChat++;
        int firstLen = 0;
        while (b.start()[firstLen] == 0) firstLen++;
        assertThat(targetsFirstChat).isEqualTo((firstLen - 3) / 2 + 1);
    }

    /** The first answer token weighs {@code refuseWeight} in a refusal and {@code helpWeight} in a helpful answer; the rest weigh 1. */
    @Test
    void decisionTokenWeighsByClass() {
        List<TokenizedChat> chats = new ArrayList<>();
        // prompt 1 5 6 2, answer 7 8 9 (refusal) or 4 4 (helpful)
        chats.add(new TokenizedChat(new int[] {1, 5, 6, 2, 7, 8, 9}, 4, true));
        chats.add(new TokenizedChat(new int[] {1, 5, 2, 4, 4}, 3, false));
        BatchStream s = new BatchStream(chats, 1, 16, 0, 3, 10f, 15f);
        Batch b = s.next();
        int decisions = 0;
        for (int r = 0; r < 16; r++) {
            int t = r - b.start()[r];
            boolean refusal = b.ids()[b.start()[r]] == 1 && b.ids()[b.start()[r] + 3] == 2; // the 7-slot chat has its separator at 3
            int answerStart = refusal ? 4 : 3;
            if (b.targets()[r] < 0) assertThat(b.weights()[r]).isZero();
            else if (t + 1 == answerStart) {
                assertThat(b.weights()[r]).isEqualTo(refusal ? 10f : 15f);
                decisions++;
            } else assertThat(b.weights()[r]).isEqualTo(1f);
        }
        assertThat(decisions).isEqualTo(2);
    }

    /** A plain text document (the lexicon's) has a target on every token after the first, each of weight 1: no decision token. */
    @Test
    void documentTokensAllWeighOne() {
        List<TokenizedChat> docs = List.of(new TokenizedChat(new int[] {0, 5, 6, 7, 0}, 1, false, true));
        Batch b = new BatchStream(docs, 1, 5, 0, 3, 10f, 15f).next();
        for (int r = 0; r < 4; r++) {
            assertThat(b.targets()[r]).isEqualTo(docs.get(0).ids()[r + 1]);
            assertThat(b.weights()[r]).isEqualTo(1f);
        }
        assertThat(b.targets()[4]).isEqualTo(-1);
    }

    /** A helpful answer's opening weighs {@code openingWeight} after its first token, which stays the decision. */
    @Test
    void openingTokensWeighTheOpeningWeight() {
        // prompt 1 5 2, answer 4 6 7 8 9 3 of which 4 6 7 is the opening
        List<TokenizedChat> chats = List.of(new TokenizedChat(new int[] {1, 5, 2, 4, 6, 7, 8, 9, 3}, 3, false, false, 6));
        Batch b = new BatchStream(chats, 1, 9, 0, 3, 10f, 15f).openingWeight(4f).next();
        // slot 2 predicts 4 (decision), slots 3 and 4 predict 6 and 7 (opening), slots 5..7 predict 8 9 3
        assertThat(b.weights()).containsExactly(0f, 0f, 15f, 4f, 4f, 1f, 1f, 1f, 0f);
        assertThatThrownBy(() -> new TokenizedChat(new int[] {1, 5, 2, 4}, 3, false, false, 2)).hasMessageContaining("opening");
    }
}
