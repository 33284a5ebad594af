package dev.refusal4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in-process and keeps what it printed on standard output. */
record CliOutput(int exitCode, String stdout) {
    static CliOutput run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run(args);
        } finally {
            System.setOut(saved);
        }
        return new CliOutput(rc, buf.toString(StandardCharsets.UTF_8));
    }
}
