package dev.refusal4j.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class BuiltinPromptsTest {
    private static String norm(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 ]", "").strip();
    }

    @Test
    void harmfulSetIsLargeCategorizedAndUnique() {
        List<Prompt> harmful = BuiltinPrompts.harmful();
        assertThat(harmful.size()).isGreaterThanOrEqualTo(300);
        assertThat(harmful).allSatisfy(p -> assertThat(p.category()).isNotBlank());
        Map<String, Long> perCategory = harmful.stream().collect(Collectors.groupingBy(Prompt::category, Collectors.counting()));
        assertThat(perCategory.size()).isGreaterThanOrEqualTo(10);
        assertThat(perCategory.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(20L));
        assertThat(harmful.stream().map(p -> norm(p.instruction()))).doesNotHaveDuplicates();
        System.out.println("built-in harmful: " + harmful.size() + " " + new java.util.TreeMap<>(perCategory));
    }

    @Test
    void harmlessSetIsLargeAndUnique() {
        List<Prompt> harmless = BuiltinPrompts.harmless();
        assertThat(harmless.size()).isGreaterThanOrEqualTo(300);
        Map<String, Long> perCategory = harmless.stream().collect(Collectors.groupingBy(Prompt::category, Collectors.counting()));
        assertThat(perCategory.size()).isGreaterThanOrEqualTo(10);
        assertThat(harmless.stream().map(p -> norm(p.instruction()))).doesNotHaveDuplicates();
        Set<String> harmful = BuiltinPrompts.harmful().stream().map(p -> norm(p.instruction())).collect(Collectors.toSet());
        assertThat(harmless).noneMatch(p -> harmful.contains(norm(p.instruction())));
        System.out.println("built-in harmless: " + harmless.size() + " " + new java.util.TreeMap<>(perCategory));
    }

    /** The built-in sets are the project's own: none of them appears in the public benchmarks. */
    @Test
    void noPromptIsCopiedFromThePublicDatasets() throws IOException {
        Set<String> published = new HashSet<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(Shared.path("datasets"))) {
            files = s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return (n.endsWith(".json") || n.endsWith(".csv") || n.endsWith(".txt")) && !p.toString().contains("refusal_direction_runs")
                        && !p.toString().contains("refusal_phrases") && !p.toString().contains("completions") && !p.toString().contains("evaluation");
            }).toList();
        }
        int loaded = 0;
        for (Path f : files) {
            try {
                for (Prompt p : PromptLoader.load(f)) published.add(norm(p.instruction()));
                loaded++;
            } catch (IllegalArgumentException notAPromptFile) {
                // e.g. LICENSE-like text or a CSV without a prompt column: not a prompt set
            }
        }
        assertThat(loaded).isGreaterThanOrEqualTo(20);
        assertThat(published.size()).isGreaterThan(30000);
        for (Prompt p : BuiltinPrompts.harmful()) assertThat(published).as(p.instruction()).doesNotContain(norm(p.instruction()));
        for (Prompt p : BuiltinPrompts.harmless()) assertThat(published).as(p.instruction()).doesNotContain(norm(p.instruction()));
    }

    @Test
    void disjointSplitsForTrainValTest() {
        List<List<Prompt>> parts = new PromptSets(42).split(BuiltinPrompts.harmful(), "built-in harmful", 128, 32, 100);
        assertThat(parts).extracting(List::size).containsExactly(128, 32, 100);
        Set<Prompt> all = new HashSet<>();
        parts.forEach(all::addAll);
        assertThat(all).hasSize(260);
        assertThat(new PromptSets(42).split(BuiltinPrompts.harmful(), "x", 128, 32, 100)).isEqualTo(parts);
        assertThatThrownBy(() -> new PromptSets(1).split(BuiltinPrompts.harmful(), "built-in harmful", 300, 32, 100))
                .hasMessageContaining("built-in harmful").hasMessageContaining("432").hasMessageContaining("only 312");
    }
}
