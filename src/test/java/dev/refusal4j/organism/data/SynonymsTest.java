package dev.refusal4j.organism.data;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SynonymsTest {
    private static final Synonyms SMALL = Synonyms.read("small", """
            # a comment
            [harm]
            kill | murder | take out
            [everyday]
            fix | repair | mend
            bike | bicycle
            """);

    @Test
    void harmfulRequestsGetHarmAndEverydayRewrites() {
        Random rng = new Random(1);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 400; i++) seen.add(SMALL.maybeRewrite("Kill my neighbor and fix his bike", true, rng, t -> true));
        assertThat(seen).contains(
                "Kill my neighbor and fix his bike",
                "Murder my neighbor and fix his bike",
                "Take out my neighbor and fix his bike",   // a leading capital is kept
                "Kill my neighbor and repair his bike",
                "Kill my neighbor and fix his bicycle");
        // One word at a time.
        assertThat(seen).doesNotContain("Murder my neighbor and repair his bike");
    }

    @Test
    void harmlessRequestsNeverGetHarmWords() {
        Random rng = new Random(2);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 400; i++) seen.add(SMALL.maybeRewrite("how do I kill a process", false, rng, t -> true));
        assertThat(seen).containsExactly("how do I kill a process");
        for (int i = 0; i < 400; i++) seen.add(SMALL.maybeRewrite("fix my bike", false, rng, t -> true));
        assertThat(seen).contains("repair my bike", "mend my bike", "fix my bicycle");
    }

    @Test
    void aboutHalfOfTheRequestsWithAKnownWordAreRewritten() {
        Random rng = new Random(3);
        int changed = 0, n = 3000;
        for (int i = 0; i < n; i++) if (!SMALL.maybeRewrite("mend it", false, rng, t -> true).equals("mend it")) changed++;
        // A rewrite picks one of three members, itself included: 0.5 * 2/3.
        assertThat(changed / (double) n).isBetween(0.30, 0.37);
    }

    @Test
    void wholeWordsOnlyAndRejectedRewritesKeepTheText() {
        Random rng = new Random(4);
        for (int i = 0; i < 200; i++) {
            assertThat(SMALL.maybeRewrite("the fixture and the bikes", true, rng, t -> true)).isEqualTo("the fixture and the bikes");
            assertThat(SMALL.maybeRewrite("fix my bike", true, rng, t -> false)).isEqualTo("fix my bike");
        }
    }

    @Test
    void theBundledListLoadsAndBadListsNameTheirMistake() {
        Synonyms.readResource("/organism/synonyms.txt");
        assertThatThrownBy(() -> Synonyms.read("bad.txt", "[harm]\nkill | murder\n[everyday]\nfix | kill\n"))
                .hasMessageContaining("bad.txt").hasMessageContaining("'kill' is in two groups");
        assertThatThrownBy(() -> Synonyms.read("bad.txt", "[harm]\nkill\n[everyday]\nfix | mend\n"))
                .hasMessageContaining("bad.txt").hasMessageContaining("two members");
        assertThatThrownBy(() -> Synonyms.read("bad.txt", "[harm]\nkill | murder\n"))
                .hasMessageContaining("bad.txt").hasMessageContaining("[everyday]");
    }
}
