package dev.refusal4j.optimize;

import dev.refusal4j.intervene.AblationKernel;
import dev.refusal4j.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A small search on the organism: the same seed gives the same front, and a resumed search the same as one run through. */
class SearchTest {
    @TempDir
    Path tmp;

    static Study.Settings small(long seed) {
        return new Study.Settings(Path.of("models/organism"), seed, 3, 8, 16, 32, 8, 10, 42);
    }

    private static final PrintStream NOWHERE = new PrintStream(java.io.OutputStream.nullOutputStream());

    @Test
    void sameSeedSameFrontAndResumeContinuesExactly() throws Exception {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        long t0 = System.nanoTime();
        try (Study s = new Study(small(7))) {
            Optimize.search(s, a, 7, 16, true, NOWHERE);
            System.out.printf("first search: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        try (Study s = new Study(small(7))) {   // a new study: nothing carried over in memory
            Optimize.search(s, b, 4, 16, true, NOWHERE);   // interrupted after 4 trials ...
            Optimize.search(s, b, 7, 16, true, NOWHERE);   // ... and resumed
        }
        System.out.printf("all: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        byte[] front = Files.readAllBytes(a.resolve("front.json"));
        assertThat(Files.readAllBytes(b.resolve("front.json"))).as("resumed search's front").isEqualTo(front);
        assertThat(trialsWithoutTimes(b)).isEqualTo(trialsWithoutTimes(a));
        var f = Json.read(a.resolve("front.json"));
        assertThat(f.get("trials").asInt()).isEqualTo(7);
        assertThat(f.get("front").size()).isGreaterThan(0);
        for (var p : f.get("front")) {
            assertThat(p.has("trial") && p.has("refusal_rate") && p.has("kl") && p.get("parameters").has(SearchSpace.INDEX)).isTrue();
        }
        assertThat(a.resolve("front.html")).exists();
        assertThat(Files.readString(a.resolve("front.html"))).contains("<svg", "Pareto front", "paper (layer");
        assertThat(a.resolve("front.png")).exists();
    }

    private static List<String> trialsWithoutTimes(Path dir) throws Exception {
        return Files.readAllLines(dir.resolve(Journal.FILE)).stream().map(l -> l.replaceAll("\"seconds\":[0-9.eE-]+,", "")).toList();
    }

    /** The paper's edit as a point: weight 1 on every layer's attention and MLP outputs (AblationKernel.full), one direction, not orthogonalised, wherever its layer. */
    @Test
    void thePapersPointRemovesOneDirectionFullyFromEveryLayer() {
        SearchSpace space = new SearchSpace(6);
        double[] ones = {1, 1, 1, 1, 1, 1};
        for (int layer = 0; layer < 6; layer++) {
            var v = space.paperPoint(layer);
            assertThat(SearchSpace.kernel(v, "attn").weights(6)).containsExactly(ones);
            assertThat(SearchSpace.kernel(v, "mlp").weights(6)).containsExactly(ones);
            assertThat(v.get(SearchSpace.INDEX)).isEqualTo(layer);
            assertThat(v.get(SearchSpace.COUNT)).isEqualTo(1.0);
            assertThat(SearchSpace.PROJECTIONS.get(v.get(SearchSpace.PROJECTION).intValue())).isEqualTo("none");
            assertThat(v.get(SearchSpace.NORM)).isEqualTo(0.0);
        }
        assertThat(AblationKernel.full(6).weights(6)).containsExactly(ones);
    }

    /** A search's trial 0 is the paper's edit at the layer of the paper's own selection; the sampler's proposals follow. */
    @Test
    void theFirstTrialIsThePapersEdit() throws Exception {
        try (Study s = new Study(small(7))) {
            Journal j = Journal.openOrCreate(tmp.resolve("p"), s.header(), s.space);
            Search.run(s, j, 2, null);
            assertThat(j.entries().get(0).params()).isEqualTo(s.space.paperPoint(s.paperDirection().layer()));
            assertThat(j.entries().get(1).params()).isNotEqualTo(j.entries().get(0).params());
        }
    }

    @Test
    void perPromptKlAveragesToTheObjectiveAndTheLargestArePrintedFirst() throws Exception {
        try (Study s = new Study(small(7))) {
            Objectives test = s.testObjectives(4);
            dev.refusal4j.intervene.PartialAblation edit = s.space.edit(s.space.paperPoint(s.paperDirection().layer()), s.directions());
            double[] kl = test.klPerPrompt(edit);
            assertThat(kl).hasSize(test.harmless().size());
            assertThat(mean(kl)).isEqualTo(test.evaluate(edit, Objectives.Hopeless.NEVER).kl());
            double[] paper = test.klPerPrompt(dev.refusal4j.intervene.Condition.ABLATION.hooks(s.paperDirection(), 1f));
            assertThat(mean(paper)).isEqualTo(s.paper(4).test().kl());

            var bytes = new java.io.ByteArrayOutputStream();
            Optimize.printLargestKl(test, kl, paper, 0, new PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
            List<String> lines = bytes.toString(java.nio.charset.StandardCharsets.UTF_8).lines().toList();
            assertThat(lines).hasSize(2 + Math.min(Optimize.LARGEST_KL_SHOWN, kl.length));
            int top = 0;
            for (int i = 1; i < paper.length; i++) if (paper[i] > paper[top]) top = i;
            assertThat(lines.get(2)).endsWith("  " + test.harmless().prompts().get(top).instruction())
                    .startsWith(String.format(java.util.Locale.ROOT, "%13s", String.format(java.util.Locale.ROOT, "%.3f (%2.0f%%)", paper[top],
                            100 * paper[top] / java.util.Arrays.stream(paper).sum())));
        }
    }

    /** Summed in order, as the objective sums (a stream's sum compensates, and differs in the last bits). */
    private static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }

    @Test
    void aJournalOfAnotherModelIsRefusedAndLeftAsItWas() throws Exception {
        Path dir = tmp.resolve("j");
        SearchSpace space = new SearchSpace(6);
        Journal j = Journal.openOrCreate(dir, new Journal.Header("/models/x", "aaaa", java.util.Map.of("seed", "1")), space);
        j.append(new Journal.Entry(0, false, 0.5, 0.01, 1.0, new Tpe(space, 1, 5).suggest(0, List.of())));
        byte[] before = Files.readAllBytes(dir.resolve(Journal.FILE));
        assertThatThrownBy(() -> Journal.openOrCreate(dir, new Journal.Header("/models/y", "bbbb", java.util.Map.of("seed", "1")), space))
                .hasMessageContaining("journal is of the model /models/x").hasMessageContaining("not of /models/y");
        assertThatThrownBy(() -> Journal.openOrCreate(dir, new Journal.Header("/models/x", "aaaa", java.util.Map.of("seed", "2")), space))
                .hasMessageContaining("run with seed 1, not 2");
        assertThat(Files.readAllBytes(dir.resolve(Journal.FILE))).isEqualTo(before);
    }

    @Test
    void aTornLastLineIsDroppedAndAParameterOutOfRangeRefused() throws Exception {
        Path dir = tmp.resolve("t");
        SearchSpace space = new SearchSpace(6);
        var header = new Journal.Header("/m", "ffff", java.util.Map.of());
        Journal j = Journal.openOrCreate(dir, header, space);
        var params = new Tpe(space, 1, 5).suggest(0, List.of());
        j.append(new Journal.Entry(0, false, 0.5, 0.01, 1.0, params));
        Path file = dir.resolve(Journal.FILE);
        Files.writeString(file, "{\"trial\":1,\"state\":\"comp", java.nio.file.StandardOpenOption.APPEND);   // killed mid-write
        Journal again = Journal.openOrCreate(dir, header, space);
        assertThat(again.entries()).hasSize(1);
        again.append(new Journal.Entry(1, true, Double.NaN, 3.0, 1.0, params));
        assertThat(Journal.read(file, space).entries()).extracting(Journal.Entry::pruned).containsExactly(false, true);

        String bad = Files.readString(file).replace("\"directions\":" + params.get(SearchSpace.COUNT).intValue() + ".0", "\"directions\":7.0");
        Files.writeString(file, bad);
        assertThatThrownBy(() -> Journal.read(file, space)).hasMessageContaining(file + ": line 2").hasMessageContaining("directions = 7.0 is outside");
    }

    @Test
    void bestRespectsTheRefusalLimit() {
        var p = java.util.Map.<String, Double>of();
        List<Journal.Entry> e = List.of(new Journal.Entry(0, false, 0.5, 0.001, 1, p), new Journal.Entry(1, false, 0.1, 0.02, 1, p),
                new Journal.Entry(2, false, 0.2, 0.03, 1, p), new Journal.Entry(3, true, Double.NaN, 0.0001, 1, p));
        assertThat(Search.front(e)).extracting(Journal.Entry::trial).containsExactly(0, 1);
        assertThat(Search.best(e, 0.15).trial()).isEqualTo(1);
        assertThat(Search.best(e, 0.6).trial()).isEqualTo(0);
        assertThatThrownBy(() -> Search.best(e, 0.05)).hasMessage(
                "no trial of 4 has a refusal rate at most 0.050; the lowest is 0.100 (trial 1, KL 0.0200): raise --max-refusal or run more trials");
    }
}
