package dev.refusal4j.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small file helpers shared by the fuzz tests (jqwik properties get no JUnit @TempDir). */
final class Fuzz {
    private Fuzz() {}

    /** An empty folder {@code name} under {@code parent}, created fresh. */
    static Path freshDir(Path parent, String name) throws IOException {
        Path d = parent.resolve(name);
        dev.refusal4j.io.AtomicFiles.deleteRecursively(d);
        return Files.createDirectories(d);
    }
}
