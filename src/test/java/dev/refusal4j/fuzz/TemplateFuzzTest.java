package dev.refusal4j.fuzz;

import dev.refusal4j.chat.ChatTemplate;
import dev.refusal4j.chat.ChatTemplateException;
import dev.refusal4j.fuzz.Mutations.Mutation;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The real chat templates of ../shared/templates/sources (chat_template.jinja files and
 * tokenizer_config.json's "chat_template"), with hostile Jinja spliced in: loops of 10^8 or 10^10
 * steps, strings of 10^9 characters, unbounded recursion, 5,000 levels of nesting, unclosed tags,
 * broken bytes. Loading and rendering a conversation gives text, or a {@link ChatTemplateException}
 * (a {@link ModelFormatException} for a file that is not UTF-8) naming the template file, within the
 * time bound.
 */
class TemplateFuzzTest {
    static Path dir;
    static List<String> sources;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("refusal4j-fuzz-template");
        try (Stream<Path> l = Files.list(Shared.path("templates", "sources"))) {
            sources = l.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".jinja") || f.endsWith(".tokenizer_config.json")).sorted().toList();
        }
    }

    @AfterContainer
    static void tearDown() throws IOException {
        dev.refusal4j.io.AtomicFiles.deleteRecursively(dir);
    }

    @Provide
    Arbitrary<String> source() {
        return Arbitraries.of(sources);
    }

    @Provide
    Arbitrary<List<Mutation>> damage() {
        return Mutations.jinja().list().ofMinSize(1).ofMaxSize(2);
    }

    @Property(tries = 200, seed = "20240726")
    void hostileTemplateRendersOrIsNamed(@ForAll("source") String name, @ForAll("damage") List<Mutation> damage) throws IOException {
        Path folder = Fuzz.freshDir(dir, "model");
        byte[] b = Files.readAllBytes(Shared.path("templates", "sources", name));
        String target;
        if (name.endsWith(".jinja")) {
            target = "chat_template.jinja";
            b = Mutations.apply(b, damage);
        } else {
            // the damage goes into the template text inside the JSON string
            target = "tokenizer_config.json";
            var root = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(b);
            if (root.path("chat_template").isTextual()) {
                byte[] t = Mutations.apply(root.get("chat_template").asText().getBytes(StandardCharsets.UTF_8), damage);
                root.put("chat_template", new String(t, StandardCharsets.UTF_8));
            }
            b = Json.MAPPER.writeValueAsBytes(root);
        }
        Files.write(folder.resolve(target), b);
        Hostile.read(4L << 30, List.of(target), () -> ChatTemplate.load(folder).render(
                List.of(Map.of("role", "system", "content", "Be brief."), Map.of("role", "user", "content", "Hi")), true, null,
                LocalDate.of(2024, 7, 26)), ChatTemplateException.class, ModelFormatException.class);
    }
}
