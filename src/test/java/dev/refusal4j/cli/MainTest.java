package dev.refusal4j.cli;

import dev.refusal4j.Version;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/** Main builds only the sub-command it runs; help and usage must still know every sub-command. */
class MainTest {
    private static String stdout(String... args) {
        return CliOutput.run(args).stdout();
    }

    @Test
    void topLevelHelpListsEverySubCommand() {
        String help = stdout("--help");
        for (Class<?> c : Main.COMMANDS) assertThat(help).contains(c.getAnnotation(Command.class).name());
    }

    @Test
    void helpCommandFindsASubCommandAndASubCommandHasItsOwnHelp() {
        assertThat(stdout("help", "abliterate")).contains("Usage: refusal4j abliterate");
        assertThat(stdout("export-control-vector", "--help")).contains("Usage: refusal4j export-control-vector");
        assertThat(stdout("--version")).contains(Version.VERSION);
    }

    @Test
    void unknownSubCommandFails() {
        PrintStream saved = System.err;
        System.setErr(new PrintStream(new ByteArrayOutputStream()));
        try {
            assertThat(Main.run("no-such-command")).isNotZero();
        } finally {
            System.setErr(saved);
        }
    }
}
