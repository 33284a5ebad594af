package dev.refusal4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Defaults shared by the commands. */
public final class Defaults {
    private Defaults() {}

    /**
     * The bundled organism model: {@code models/organism} in the installation folder that the
     * launcher passes as {@code -Drefusal4j.home}, else under the working directory.
     */
    public static Path model() {
        String home = System.getProperty("refusal4j.home");
        Path p = Path.of(home != null ? home : ".", "models", "organism");
        return Files.isDirectory(p) ? p : Path.of("models", "organism");
    }

    /** picocli default provider value for {@code --model}. */
    public static final class ModelDefault implements picocli.CommandLine.IDefaultValueProvider {
        @Override
        public String defaultValue(picocli.CommandLine.Model.ArgSpec arg) {
            if (arg.isOption() && ((picocli.CommandLine.Model.OptionSpec) arg).longestName().equals("--model")) {
                return model().toString();
            }
            return null;
        }
    }
}
