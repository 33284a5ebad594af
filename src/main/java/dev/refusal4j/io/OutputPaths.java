package dev.refusal4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one check every writer makes before it writes: its output must not be one of its inputs, lie
 * inside an input folder, or contain an input (replacing it would delete the input). Paths are
 * compared after resolving symlinks and {@code ..}, and an existing output is also compared by
 * identity, so a symlink or hard link to an input is caught too.
 */
public final class OutputPaths {
    private OutputPaths() {}

    /** An input a command reads: what it is, for the message ("model folder", "prompt file"), and its path (null: not given). */
    public record Input(String what, Path path) {}

    public static Input input(String what, Path path) {
        return new Input(what, path);
    }

    /**
     * Throws an {@link IllegalArgumentException} naming the output ({@code outWhat}, e.g. "--out" or
     * "output folder"), its path and the input when {@code out} is, lies inside or contains one of
     * {@code inputs}. Inputs that are null or do not exist are skipped (the command reports those itself).
     */
    public static void refuseInputs(String outWhat, Path out, Input... inputs) throws IOException {
        if (out == null) return;
        Path target = resolveExisting(out.toAbsolutePath().normalize());
        for (Input in : inputs) {
            if (in == null || in.path() == null || !Files.exists(in.path())) continue;
            Path real = in.path().toRealPath();
            String what = outWhat + " " + out;
            String input = "the input " + in.what() + " " + in.path();
            if (target.equals(real) || Files.exists(target) && Files.isSameFile(target, real)) {
                throw new IllegalArgumentException(what + " is " + input + "; writing it would destroy the input: choose another path");
            }
            if (target.startsWith(real)) {
                throw new IllegalArgumentException(what + " lies inside " + input + "; outputs are never written into an input folder: choose a path outside it");
            }
            if (real.startsWith(target)) {
                throw new IllegalArgumentException(what + " contains " + input + "; replacing it would delete the input: choose another path");
            }
        }
    }

    /** The path with its longest existing prefix replaced by its real path (resolves symlinks and ..). */
    public static Path resolveExisting(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
    }
}
