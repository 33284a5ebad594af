package dev.refusal4j.cli;

import dev.refusal4j.export.EditedWeights;
import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.optimize.EditParityTest;
import dev.refusal4j.optimize.Journal;
import dev.refusal4j.optimize.Optimize;
import dev.refusal4j.optimize.Study;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** optimize's bad input: one line each, non-zero exit, the journal untouched; a front trial evaluated alone as the search measured it; and a trial exported by the command, as a folder and as GGUF. */
class OptimizeCommandTest {
    @TempDir
    Path tmp;

    static final String[] SMALL = {"--startup-trials", "2", "--max-new-tokens", "6", "--n-train", "24", "--n-val", "8", "--n-test", "8",
            "--test-max-new-tokens", "8", "--batch-size", "16", "--quiet"};

    static BenchCommandTest.Run run(String... args) {
        return BenchCommandTest.run(args);
    }

    /** The command line {@code args} followed by the small settings. */
    static String[] with(String[] small, String... args) {
        String[] out = java.util.Arrays.copyOf(args, args.length + small.length);
        System.arraycopy(small, 0, out, args.length, small.length);
        return out;
    }

    @Test
    void zeroTrialsIsAnError() {
        var r = run("optimize", "--out", tmp.resolve("o").toString(), "--trials", "0");
        assertThat(r.rc()).isNotZero();
        assertThat(r.err().strip()).isEqualTo("error: --trials must be at least 1, got 0");
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    /** A random-weight model refuses nothing, so the paper's selection filters every candidate: the front is written without its point, saying so. */
    @Test
    void withoutThePapersDirectionTheFrontIsWrittenAndSaysWhy() throws Exception {
        Path model = tmp.resolve("tiny");
        dev.refusal4j.testutil.TinyChatModel.create(model);
        Path out = tmp.resolve("search");
        var r = run(with(SMALL, "optimize", "--model", model.toString(), "--out", out.toString(), "--trials", "3"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("paper: its selection found no direction (", "3 trials");
        var front = dev.refusal4j.io.Json.read(out.resolve("front.json"));
        assertThat(front.has("paper")).isFalse();
        assertThat(front.get("paper_missing").asText()).isNotBlank();
        assertThat(front.get("front").size()).isPositive();
        assertThat(Files.readString(out.resolve("front.html"))).contains("The paper's selection found no direction on this model");
    }

    @Test
    void searchThenExportThenBadExports() throws Exception {
        Path out = tmp.resolve("search");
        var r = run(with(SMALL, "optimize", "--out", out.toString(), "--trials", "3"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("refusal (val)", "paper (layer", "3 trials");
        Path journal = out.resolve(Journal.FILE);
        byte[] before = Files.readAllBytes(journal);

        // a front trial measured on its own: the paper's line and the trial's line as the search printed them
        int front = dev.refusal4j.io.Json.read(out.resolve("front.json")).get("front").get(0).get("trial").asInt();
        var ev = run("optimize", "--out", out.toString(), "--evaluate", Integer.toString(front), "--test-max-new-tokens", "8", "--batch-size", "16");
        assertThat(ev.rc()).as(ev.err()).isZero();
        java.util.List<String> lines = r.out().lines().toList();
        String paperLine = lines.stream().filter(l -> l.startsWith("paper (layer")).findFirst().orElseThrow();
        String trialLine = lines.stream().filter(l -> l.startsWith(String.format("%-22s ", "trial " + front))).findFirst().orElseThrow();
        assertThat(ev.out().lines().toList()).contains(paperLine, trialLine);
        assertThat(run("optimize", "--out", out.toString(), "--evaluate", "9").err().strip()).isEqualTo("error: --evaluate 9: " + journal + " holds trials 0..2");
        assertThat(run("optimize", "--out", out.toString(), "--evaluate", "1", "--trials", "4").err().strip())
                .isEqualTo("error: --trials is for a search; --evaluate measures a trial of the search in " + out);
        assertThat(Files.readAllBytes(journal)).isEqualTo(before);

        Path model = tmp.resolve("trial1");
        var e = run("optimize", "--out", out.toString(), "--export", "1", "--to", model.toString(), "--batch-size", "16");
        assertThat(e.rc()).as(e.err()).isZero();
        try (Transformer t = Transformer.load(model); Transformer o = Transformer.load(Path.of("models/organism"))) {
            int[] ids = {5, 17, 300, 2};
            assertThat(t.forward(Forward.of(ids))).isNotEqualTo(o.forward(Forward.of(ids)));
        }

        // the same trial as one GGUF file: the logits of the trial's edit run as hooks (or, norm-preserving, on weights edited in memory)
        Path gguf = tmp.resolve("trial1.gguf");
        var g = run("optimize", "--out", out.toString(), "--export", "1", "--to", gguf.toString(), "--batch-size", "16");
        assertThat(g.rc()).as(g.err()).isZero();
        assertThat(g.out().strip()).isEqualTo("wrote " + gguf);
        try (Study study = new Study(Optimize.settings(Journal.read(journal, null).header(), Path.of("models/organism"), 16, 8));
             Transformer t = Transformer.load(gguf)) {
            PartialAblation edit = study.space.edit(Journal.read(journal, study.space).entries().get(1).params(), study.directions());
            int[][] ids = {{5, 17, 300, 2, 44, 9}, {12, 7, 2900, 31, 8, 100}};
            float[] expected;
            if (edit.normPreserving()) {
                try (Transformer w = new Transformer(study.model.dir, study.model.config, new EditedWeights(study.model.config, study.model.files(), edit))) {
                    expected = w.forward(Forward.of(ids));
                }
            } else {
                expected = study.model.forward(Forward.of(ids).hooks(edit.hooks()));
            }
            assertThat(EditParityTest.relDiff(expected, t.forward(Forward.of(ids)))).isLessThan(EditParityTest.PARITY);
        }
        var exists = run("optimize", "--out", out.toString(), "--export", "1", "--to", gguf.toString());
        assertThat(exists.err().strip()).isEqualTo("error: --to " + gguf + " exists; give --force to replace it");
        var folderType = run("optimize", "--out", out.toString(), "--export", "1", "--to", tmp.resolve("e").toString(), "--outtype", "q8_0");
        assertThat(folderType.err().strip()).isEqualTo("error: --outtype is for a GGUF export; --to " + tmp.resolve("e") + " is a folder (its dtype is the source's)");
        assertThat(tmp.resolve("e")).doesNotExist();

        var best = run("optimize", "--out", out.toString(), "--export", "best", "--max-refusal", "0", "--to", tmp.resolve("b").toString(), "--batch-size", "16");
        if (best.rc() != 0) assertThat(best.err().strip()).startsWith("error: no trial of 3 has a refusal rate at most 0.000; the lowest is").doesNotContain("\n");
        var range = run("optimize", "--out", out.toString(), "--export", "9", "--to", tmp.resolve("c").toString(), "--batch-size", "16");
        assertThat(range.rc()).isNotZero();
        assertThat(range.err().strip()).isEqualTo("error: --export 9: " + journal + " holds trials 0..2");
        var limit = run("optimize", "--out", out.toString(), "--export", "best", "--max-refusal", "1.5", "--to", tmp.resolve("d").toString());
        assertThat(limit.err().strip()).isEqualTo("error: --max-refusal must be within 0..1, got 1.5");

        // another model's search in the same folder: refused, the journal as it was
        Path other = tmp.resolve("tiny");
        dev.refusal4j.testutil.TinyChatModel.create(other);
        var mixed = run(with(SMALL, "optimize", "--model", other.toString(), "--out", out.toString(), "--trials", "5"));
        assertThat(mixed.rc()).isNotZero();
        assertThat(mixed.err().strip()).startsWith("error: " + journal + ": this journal is of the model ").contains("use another --out").doesNotContain("\n");
        assertThat(Files.readAllBytes(journal)).isEqualTo(before);

        // a parameter outside its range in the journal: named with its line, nothing changed
        String text = new String(before, java.nio.charset.StandardCharsets.UTF_8);
        String bad = text.replaceFirst("\"projection\":[0-9.]+", "\"projection\":5.0");
        Files.writeString(journal, bad);
        var damaged = run(with(SMALL, "optimize", "--out", out.toString(), "--trials", "5"));
        assertThat(damaged.err().strip()).isEqualTo("error: " + journal + ": line 2: parameter projection = 5.0 is outside its range 0..2 [none, harmless_mean, biprojected]");
        assertThat(Files.readString(journal)).isEqualTo(bad);
        assertThat(Study.fingerprint(Path.of("models/organism"))).isNotEqualTo(Study.fingerprint(other));
    }
}
