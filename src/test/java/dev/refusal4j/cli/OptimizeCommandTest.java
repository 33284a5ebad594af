package dev.refusal4j.cli;

import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.optimize.Journal;
import dev.refusal4j.optimize.Study;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** optimize's bad input: one line each, non-zero exit, the journal untouched; and a trial exported by the command. */
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

    @Test
    void searchThenExportThenBadExports() throws Exception {
        Path out = tmp.resolve("search");
        var r = run(with(SMALL, "optimize", "--out", out.toString(), "--trials", "3"));
        assertThat(r.rc()).as(r.err()).isZero();
        assertThat(r.out()).contains("refusal (val)", "paper (layer", "3 trials");
        Path journal = out.resolve(Journal.FILE);
        byte[] before = Files.readAllBytes(journal);

        Path model = tmp.resolve("trial1");
        var e = run("optimize", "--out", out.toString(), "--export", "1", "--to", model.toString(), "--batch-size", "16");
        assertThat(e.rc()).as(e.err()).isZero();
        try (Transformer t = Transformer.load(model); Transformer o = Transformer.load(Path.of("models/organism"))) {
            int[] ids = {5, 17, 300, 2};
            assertThat(t.forward(Forward.of(ids))).isNotEqualTo(o.forward(Forward.of(ids)));
        }

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
