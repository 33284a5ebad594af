package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * A command that runs out of heap or stack ends with one line on stderr naming the command and
 * what to change, a non-zero exit and no stack trace (picocli lets these errors through its
 * exception handler, so before they escaped as "Exception in thread main" with a trace).
 */
class ResourceErrorsTest {
    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        final Throwable toThrow;

        Boom(Throwable toThrow) { this.toThrow = toThrow; }

        @Override
        public Integer call() throws Exception {
            if (toThrow instanceof Error e) throw e;
            throw (Exception) toThrow;
        }
    }

    private record Ran(int exit, String err) { }

    private static Ran runBoom(Throwable t) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(new Boom(t));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        return new Ran(Main.execute(cl, "boom"), err.toString());
    }

    @Test
    void outOfMemoryInTheCommandIsOneLine() {
        Ran r = runBoom(new OutOfMemoryError("Java heap space"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString()
                .startsWith("error: out of memory while running 'boom' (Java heap space, heap limit ")
                .contains("raise the heap with REFUSAL4J_JAVA_OPTS=-Xmx").endsWith("g or use smaller inputs");
    }

    @Test
    void stackOverflowIsOneLine() {
        Ran r = runBoom(new StackOverflowError());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString()
                .isEqualTo("error: stack overflow while running 'boom' (an input nested too deeply?): raise the stack with"
                        + " REFUSAL4J_JAVA_OPTS=-Xss64m or use smaller inputs");
    }

    @Test
    void aWorkersErrorArrivingWrappedIsRecognised() {
        Ran r = runBoom(new RuntimeException(new java.util.concurrent.ExecutionException(new OutOfMemoryError("Java heap space"))));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).singleElement().asString().startsWith("error: out of memory while running 'boom'");
    }

    /** A real JVM with a small heap, given a messages file bigger than that heap. */
    @Test
    void aRealCommandOutOfHeapExitsWithOneLine(@TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("chat_template.jinja"), "{{ messages | length }}");
        Path messages = tmp.resolve("messages.json");
        String content = "x".repeat(1000);
        try (Writer w = Files.newBufferedWriter(messages, StandardCharsets.UTF_8)) {
            w.write('[');
            for (int i = 0; i < 64_000; i++) w.write((i > 0 ? "," : "") + "{\"role\":\"user\",\"content\":\"" + content + "\"}");
            w.write(']');
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path errFile = tmp.resolve("err.txt");
        Process p = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "template", "--model", model.toString(), "--messages", messages.toString())
                .redirectError(errFile.toFile()).redirectOutput(tmp.resolve("out.txt").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String err = read(errFile);
        assertThat(p.exitValue()).as(err).isEqualTo(1);
        assertThat(err.lines()).as(err).singleElement().asString()
                .startsWith("error: out of memory while running 'template' (Java heap space, heap limit ")
                .contains("REFUSAL4J_JAVA_OPTS=-Xmx");
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }
}
