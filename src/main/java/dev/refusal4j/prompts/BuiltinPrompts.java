package dev.refusal4j.prompts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The project's own prompt sets, written for this project (not taken from any benchmark):
 * 312 harmful requests in 12 categories (requests only, no harmful content) and 312 everyday
 * harmless tasks in 13 categories. Resources {@code /prompts/harmful.json} and
 * {@code /prompts/harmless.json}, JSON lists of {"instruction", "category"}.
 */
public final class BuiltinPrompts {
    public static final String HARMFUL = "prompts/harmful.json";
    public static final String HARMLESS = "prompts/harmless.json";

    private BuiltinPrompts() {}

    public static List<Prompt> harmful() {
        return load(HARMFUL);
    }

    public static List<Prompt> harmless() {
        return load(HARMLESS);
    }

    private static List<Prompt> load(String resource) {
        try (InputStream in = BuiltinPrompts.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("built-in prompt set " + resource + " is missing from the jar");
            return List.copyOf(PromptLoader.loadJson(Path.of("built-in:" + resource), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read built-in prompt set " + resource, e);
        }
    }
}
