package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.report.SyntheticRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {
    private static String[] run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new String[]{String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void regeneratesTheReportFromArtifacts(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 3);
        String[] r = run("report", "--run", tmp.toString(), "--samples", "2");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("report.html").contains("10 plot files");
        assertThat(tmp.resolve("report.html")).exists();
        assertThat(tmp.resolve("plots/heatmap_bypass.png")).exists();
        // --samples 2: two harmful rows of three responses, two harmless rows of two
        assertThat(Files.readString(tmp.resolve("report.html")).split("class=\"resp\"", -1)).hasSize(1 + 2 * 3 + 2 * 2);
    }

    @Test
    void damagedFileIsAWarningAndMissingFolderAnError(@TempDir Path tmp) throws Exception {
        SyntheticRun.write(tmp, 3);
        Files.writeString(tmp.resolve("direction.json"), "[1, 2]");
        String[] r = run("report", "--run", tmp.toString());
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[2]).contains("warning: direction.json: expected a JSON object");
        r = run("report", "--run", tmp.resolve("missing").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("error: run directory not found").contains("missing");
    }
}
