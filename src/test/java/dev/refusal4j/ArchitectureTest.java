package dev.refusal4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Dependencies point one way, from the command line down to the kernels: every top-level package
 * has a rank, and a class may use only classes of its own package or of a lower rank (docs/architecture.md
 * draws the map). Checked on the compiled classes, so every reference counts, not only imports.
 */
class ArchitectureTest {
    /** Rank of each top-level package under dev.refusal4j ("" is the root: Version, Progress). */
    static final Map<String, Integer> RANK = Map.ofEntries(
            Map.entry("", 0), Map.entry("tensor", 0),
            Map.entry("io", 1),
            Map.entry("tokenizer", 2), Map.entry("model", 2),
            Map.entry("chat", 3), Map.entry("direction", 3), Map.entry("grad", 3),
            Map.entry("generate", 4), Map.entry("intervene", 4), Map.entry("prompts", 4),
            Map.entry("extract", 5), Map.entry("select", 5), Map.entry("evaluate", 5), Map.entry("export", 5),
            Map.entry("artifacts", 6), Map.entry("organism", 6), Map.entry("attack", 6),
            Map.entry("report", 7), Map.entry("serve", 7),
            Map.entry("run", 8), Map.entry("optimize", 8),
            Map.entry("cli", 9));

    static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.refusal4j");

    static String top(JavaClass c) {
        String rest = c.getPackageName().equals("dev.refusal4j") ? "" : c.getPackageName().substring("dev.refusal4j.".length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }

    @Test
    void everyPackageHasARank() {
        assertThat(MAIN.size()).as("classes imported from target/classes").isGreaterThan(200);
        TreeSet<String> unranked = new TreeSet<>();
        for (JavaClass c : MAIN) if (!RANK.containsKey(top(c))) unranked.add(top(c));
        assertThat(unranked).as("packages missing from RANK (and from docs/architecture.md)").isEmpty();
    }

    @Test
    void dependenciesPointDown() {
        List<String> upward = new ArrayList<>();
        for (JavaClass c : MAIN) {
            String from = top(c);
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                JavaClass t = d.getTargetClass();
                if (!t.getPackageName().startsWith("dev.refusal4j")) continue;
                String to = top(t);
                if (to.equals(from) || !RANK.containsKey(from) || !RANK.containsKey(to)) continue;
                if (RANK.get(to) >= RANK.get(from)) upward.add(from + " -> " + to + ": " + d.getDescription());
            }
        }
        assertThat(upward).as("dependencies that do not point down").isEmpty();
    }

    @Test
    void noPackageCycles() {
        SlicesRuleDefinition.slices().matching("dev.refusal4j.(**)").should().beFreeOfCycles().check(MAIN);
    }
}
