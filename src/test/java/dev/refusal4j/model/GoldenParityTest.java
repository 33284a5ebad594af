package dev.refusal4j.model;

import dev.refusal4j.testutil.Npz;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * llm.c-style parity: every golden model in ../shared/golden, every sequence, compared with the
 * independent float64 reference tensor by tensor (logits, resid_pre/mid/post of every layer,
 * final norm). Prints the max relative difference of each; fails above 1e-5 (the reference's
 * "pass" level; the acceptance bound is 1e-4).
 */
class GoldenParityTest {
    static final double TOL = 1e-5;

    static Stream<Arguments> models() throws IOException {
        Path golden = Shared.path("golden");
        List<Arguments> out = new ArrayList<>();
        try (var dirs = Files.list(golden)) {
            dirs.filter(d -> Files.isRegularFile(d.resolve("expected.npz"))).sorted()
                    .forEach(d -> out.add(Arguments.of(d.getFileName().toString())));
        }
        assertThat(out).hasSizeGreaterThanOrEqualTo(12);
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void matchesReference(String name) throws IOException {
        Path dir = Shared.path("golden", name);
        Map<String, Npz.Array> ref = Npz.read(dir.resolve("expected.npz"));
        double worst = 0;
        try (Transformer m = Transformer.load(dir)) {
            int L = m.config.layers, d = m.config.hidden;
            for (int s = 0; ref.containsKey("s" + s + "_ids"); s++) {
                float[] idsF = ref.get("s" + s + "_ids").data();
                int T = idsF.length;
                int[] ids = new int[T];
                for (int i = 0; i < T; i++) ids[i] = (int) idsF[i];
                float[][] pre = new float[L][], mid = new float[L][], post = new float[L][];
                float[][] fin = new float[1][];
                Hooks hooks = new Hooks()
                        .add("blocks.*.hook_resid_pre", a -> pre[a.layer] = a.copy())
                        .add("blocks.*.hook_resid_mid", a -> mid[a.layer] = a.copy())
                        .add("blocks.*.hook_resid_post", a -> post[a.layer] = a.copy())
                        .add("ln_final.hook_normalized", a -> fin[0] = a.copy());
                float[] logits = m.forward(Forward.of(ids).hooks(hooks));
                StringBuilder line = new StringBuilder(String.format("%-20s seq %d (T=%2d)", name, s, T));
                worst = Math.max(worst, report(line, "logits", logits, ref.get("s" + s + "_logits").data(), 0, logits.length));
                for (int l = 0; l < L; l++) {
                    int n = T * d;
                    worst = Math.max(worst, report(line, "pre" + l, pre[l], ref.get("s" + s + "_resid_pre").data(), l * n, n));
                    worst = Math.max(worst, report(line, "mid" + l, mid[l], ref.get("s" + s + "_resid_mid").data(), l * n, n));
                    worst = Math.max(worst, report(line, "post" + l, post[l], ref.get("s" + s + "_resid_post").data(), l * n, n));
                }
                worst = Math.max(worst, report(line, "final_norm", fin[0], ref.get("s" + s + "_final_norm").data(), 0, T * d));
                System.out.println(line);
            }
        }
        System.out.printf("%-20s worst rel diff %.3e%n", name, worst);
        assertThat(worst).as(name + " max |diff| / max |ref|").isLessThanOrEqualTo(TOL);
    }

    /** max|a - ref| / max|ref| over ref[off .. off+n); appends it to the line when it is notable. */
    static double report(StringBuilder line, String what, float[] a, float[] ref, int off, int n) {
        assertThat(a).as(what).hasSize(n);
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < n; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) a[i] - ref[off + i]));
            maxRef = Math.max(maxRef, Math.abs(ref[off + i]));
        }
        double rel = maxDiff / Math.max(maxRef, 1e-30);
        if (what.equals("logits") || what.equals("final_norm") || rel > TOL) line.append(String.format("  %s %.2e", what, rel));
        return rel;
    }
}
