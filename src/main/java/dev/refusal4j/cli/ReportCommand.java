package dev.refusal4j.cli;

import dev.refusal4j.report.Report;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code refusal4j report}: (re)writes report.html and plots/ of a run folder from its artifacts. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write report.html (opens offline) and plots/*.svg, *.png for a run folder from its artifacts.")
public final class ReportCommand implements Callable<Integer> {

    @Option(names = "--run", required = true, paramLabel = "DIR",
            description = "Run folder written by `refusal4j run --out DIR`.")
    Path run;

    @Option(names = "--samples", defaultValue = "" + Report.DEFAULT_SAMPLES, paramLabel = "N",
            description = "Instructions shown side by side per prompt set (default: ${DEFAULT-VALUE}).")
    int samples;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (samples < 0) throw new IllegalArgumentException("--samples must be 0 or more, got " + samples);
        Report.Written w = Report.write(run, samples, Clock.systemUTC(), dev.refusal4j.evaluate.RefusalJudge.official()::isRefusal);
        PrintWriter err = spec.commandLine().getErr();
        for (String p : w.problems()) err.println("warning: " + p);
        PrintWriter out = spec.commandLine().getOut();
        out.println("wrote " + w.html() + " and " + w.plots().size() + " plot files in " + w.html().resolveSibling("plots"));
        out.flush();
        return 0;
    }
}
