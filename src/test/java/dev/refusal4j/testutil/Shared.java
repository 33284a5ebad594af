package dev.refusal4j.testutil;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the external reference data folder {@code ../shared}. Tests that need it fail with a
 * clear message when it is missing: CI must never skip them silently.
 */
public final class Shared {
    private Shared() {}

    public static Path root() {
        String prop = System.getProperty("refusal4j.shared");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "shared");
        p = p.toAbsolutePath().normalize();
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("reference data folder not found: " + p
                    + " (expected ../shared beside the checkout, or -Drefusal4j.shared=DIR)");
        }
        try {
            return p.toRealPath(); // a linked ../shared is walked like the folder itself
        } catch (java.io.IOException e) {
            throw new IllegalStateException("reference data folder not readable: " + p, e);
        }
    }

    public static Path path(String first, String... more) {
        Path p = root().resolve(first);
        for (String m : more) p = p.resolve(m);
        if (!Files.exists(p)) throw new IllegalStateException("missing reference file: " + p);
        return p;
    }
}
