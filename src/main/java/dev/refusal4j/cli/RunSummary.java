package dev.refusal4j.cli;

import dev.refusal4j.artifacts.CompletionSet;
import dev.refusal4j.artifacts.Metrics;
import dev.refusal4j.artifacts.RunContents;
import dev.refusal4j.artifacts.RunFolder;
import dev.refusal4j.intervene.Condition;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** The result of a run as a person reads it: the refusal rates and each stage's cost as small tables, and where the report is. */
final class RunSummary {
    private RunSummary() {}

    static void print(Path runDir, double seconds, PrintStream out) {
        RunContents c = RunContents.read(new RunFolder(runDir));
        Metrics m = c.metrics;
        if (m != null && !m.refusalRate().isEmpty()) {
            out.printf("%-22s %9s %9s %9s%n", "refused", "baseline", "ablation", "actadd");
            for (boolean harmful : new boolean[] {true, false}) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-22s", harmful ? "harmful test prompts" : "harmless test prompts"));
                for (Condition cond : Condition.values()) {
                    CompletionSet set = find(harmful, cond);
                    Double r = set == null ? null : m.refusalRate().get(set.key());
                    row.append(String.format(Locale.ROOT, " %9s", r == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * r)));
                }
                out.println(row);
            }
            if (m.direction() != null) {
                out.printf(Locale.ROOT, "direction: layer %d, position %d%s%n", m.direction().layer(), m.direction().position(),
                        c.direction == null || Double.isNaN(c.direction.kl()) ? "" : String.format(Locale.ROOT, ", KL %.4f", c.direction.kl()));
            }
        }
        if (m != null && !m.timingsSeconds().isEmpty()) stages(m, out);
        out.printf(Locale.ROOT, "run finished in %.1f s: %s%n", seconds, new RunFolder(runDir).report());
    }

    /** Each stage's time and, where it ran the model, its forward FLOPs and their rate. */
    private static void stages(Metrics m, PrintStream out) {
        out.printf("%-22s %9s %9s %9s%n", "stage", "seconds", "GFLOP", "GFLOP/s");
        m.timingsSeconds().forEach((stage, s) -> {
            Double f = m.flops().get(stage);
            out.printf(Locale.ROOT, "%-22s %9.2f %9s %9s%n", stage, s, f == null ? "-" : String.format(Locale.ROOT, "%.1f", f / 1e9),
                    f == null || !(s > 0) ? "-" : String.format(Locale.ROOT, "%.1f", f / s / 1e9));
        });
    }

    private static CompletionSet find(boolean harmful, Condition cond) {
        for (CompletionSet s : CompletionSet.values()) if (s.harmful == harmful && s.condition == cond) return s;
        return null;
    }
}
