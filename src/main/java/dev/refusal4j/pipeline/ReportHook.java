package dev.refusal4j.pipeline;

import java.nio.file.Path;

/** Writes the run's report; the HTML report package plugs in here. */
final class ReportHook {
    private ReportHook() {}

    static void write(Path runDir) {
        // replaced by dev.refusal4j.report.Report.write(runDir) when that package lands
    }
}
