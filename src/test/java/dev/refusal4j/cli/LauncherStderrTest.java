package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher starts the JVM with standard error behind a filter (for the module system's
 * incubator warning) and the real one as descriptor 3 ({@code -Drefusal4j.stderr.fd=3}); Main puts
 * descriptor 3 back on 2 before it prints anything. Here the boot-time standard error goes to
 * /dev/null, so only what Main prints after restoring it can arrive.
 */
class LauncherStderrTest {
    @Test
    void mainPutsTheRealStandardErrorBack(@TempDir Path tmp) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "exec 3>&2; exec \"$0\" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
                + " -Drefusal4j.stderr.fd=3 -cp \"$1\" dev.refusal4j.cli.Main no-such-command 2>/dev/null";
        Path err = tmp.resolve("err.txt");
        Process p = new ProcessBuilder(List.of("bash", "-c", cmd, java, System.getProperty("java.class.path")))
                .redirectError(err.toFile()).redirectOutput(tmp.resolve("out.txt").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = Files.readString(err, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isEqualTo(2); // picocli's code for a usage error
        assertThat(text).contains("Unmatched argument at index 0: 'no-such-command'")
                .doesNotContain("incubator"); // printed at boot, before Main: went to /dev/null
    }
}
