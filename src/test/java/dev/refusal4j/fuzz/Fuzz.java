package dev.refusal4j.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Small file helpers shared by the fuzz tests (jqwik properties get no JUnit @TempDir). */
final class Fuzz {
    private Fuzz() {}

    static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** An empty folder {@code name} under {@code parent}, created fresh. */
    static Path freshDir(Path parent, String name) throws IOException {
        Path d = parent.resolve(name);
        deleteRecursively(d);
        return Files.createDirectories(d);
    }
}
