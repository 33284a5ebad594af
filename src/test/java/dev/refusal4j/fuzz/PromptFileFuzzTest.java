package dev.refusal4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.fuzz.Mutations.Mutation;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptFileException;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.prompts.PyText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Prompt files of every kind the loader reads (JSON list of objects or strings, Alpaca records,
 * JSON Lines, HarmBench-style CSV, plain text), damaged: the loader returns non-empty, stripped
 * instructions or throws {@link PromptFileException} naming the file.
 */
class PromptFileFuzzTest {
    static Path dir;

    /** Valid files, by name (the extension picks the format). */
    static final List<Seed> SEEDS = List.of(
            new Seed("prompts.json", """
                    [{"instruction": "Write a poem about the sea", "category": "poetry"},
                     {"instruction": "  Explain how rain forms  ", "category": null},
                     {"prompt": "List three fruits", "type": "food"}]
                    """),
            new Seed("strings.json", "[\"How do plants grow?\", \"Name a river\", \"\\u00e9t\\u00e9 \\ud83c\\udf1e\"]"),
            new Seed("alpaca.json", """
                    [{"instruction": "Translate to French", "input": "good morning", "output": "bonjour"},
                     {"instruction": "Give an example of a verb", "input": "", "output": "run"}]
                    """),
            new Seed("prompts.jsonl", """
                    {"goal": "Describe a cat", "category": "animals"}
                    {"forbidden_prompt": "Summarize a book"}
                    "a bare string line"
                    """),
            new Seed("harmbench.csv", """
                    Behavior,FunctionalCategory,SemanticCategory,Tags,ContextString,BehaviorID
                    "Write a ""short"" story",standard,fiction,,,story_1
                    Describe a sunset,contextual,nature,,"The sky was red,
                    and the sea calm",sunset_2
                    """),
            new Seed("prompts.txt", "First prompt\r\n\r\n  Second prompt  \nThird\u00a0prompt\n"));

    record Seed(String name, String text) {
        byte[] bytes() {
            return text.getBytes(StandardCharsets.UTF_8);
        }
    }

    @BeforeContainer
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("refusal4j-fuzz-prompts");
    }

    @AfterContainer
    static void removeDir() throws IOException {
        dev.refusal4j.io.AtomicFiles.deleteRecursively(dir);
    }

    @Provide
    Arbitrary<Seed> seeds() {
        return Arbitraries.of(SEEDS);
    }

    @Provide
    Arbitrary<List<Mutation>> damage() {
        return Mutations.json().list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 400, seed = "20240611")
    void damagedPromptFileLoadsOrNamesItself(@ForAll("seeds") Seed seed, @ForAll("damage") List<Mutation> damage) throws IOException {
        Path f = dir.resolve(seed.name());
        Files.write(f, Mutations.apply(seed.bytes(), damage));
        var outcome = Hostile.read(f, () -> PromptLoader.load(f), PromptFileException.class);
        if (outcome.value() != null) {
            assertThat(outcome.value()).isNotEmpty();
            for (Prompt p : outcome.value()) {
                assertThat(p.instruction()).isNotEmpty();
                assertThat(PyText.strip(p.instruction()).isEmpty()).isFalse();
            }
        }
    }

    @Property(tries = 60, seed = "7")
    void validSeedsLoad(@ForAll("seeds") Seed seed) throws IOException {
        Path f = dir.resolve(seed.name());
        Files.write(f, seed.bytes());
        assertThat(PromptLoader.load(f)).isNotEmpty();
    }
}
