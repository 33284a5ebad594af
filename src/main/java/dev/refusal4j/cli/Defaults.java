package dev.refusal4j.cli;

import dev.refusal4j.io.HubCache;
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

    /**
     * Whether the organism's answer measures apply to {@code model}: the bundled organism, or a model
     * {@code train-organism} wrote from the same data, which holds the same held-out split files
     * (byte for byte). The measures' known words and reference answers are those of that data.
     */
    public static boolean sharesOrganismData(Path model) {
        if (isOrganism(model)) return true;
        try {
            for (String name : dev.refusal4j.prompts.RunPrompts.NAMES) {
                Path mine = dev.refusal4j.prompts.RunPrompts.split(model, name), bundled = dev.refusal4j.prompts.RunPrompts.split(model(), name);
                if (!Files.isRegularFile(mine) || !Files.isRegularFile(bundled) || Files.mismatch(mine, bundled) != -1) return false;
            }
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Whether {@code model} is the bundled organism (the same folder, however named). */
    public static boolean isOrganism(Path model) {
        try {
            return Files.isDirectory(model) && Files.isSameFile(model, model());
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * What {@code --model} names, for every command (Main applies it to each command's option): an
     * existing folder or file as it is; else a Hugging Face id ({@code org/name}, {@code org/name@REV})
     * found in the local Hugging Face cache ({@link HubCache}); else the path as given, which the
     * command then reports missing. Throws IllegalArgumentException, saying where it looked, for an id
     * that is not in the cache.
     */
    public static Path resolveModel(String given) {
        Path p = Path.of(given);
        if (Files.exists(p) || !HubCache.isRepoId(given)) return p;
        return HubCache.find(given);
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
