package dev.refusal4j.organism.data;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LexiconTest {
    static final String TEXT = """
            # two senses of one word are allowed in different sections
            [harm:drugs]
            weed | an illegal drug smoked for its effect
            [everyday:garden]
            weed | a wild plant growing where it is not wanted
            trowel | a small hand tool for digging.
            """;

    @Test
    void readsEntriesWithTheirSections() {
        Lexicon lex = Lexicon.read("t", TEXT);
        assertThat(lex.entries()).extracting(Lexicon.Entry::term).containsExactly("weed", "weed", "trowel");
        assertThat(lex.entries()).extracting(Lexicon.Entry::harm).containsExactly(true, false, false);
        assertThat(lex.entries().get(2).definition()).isEqualTo("a small hand tool for digging.");
    }

    @Test
    void documentsTieEachTermToItsMeaningInBothDirections() {
        Lexicon lex = Lexicon.read("t", TEXT);
        List<String> docs = lex.documents(1, new Random(5));
        assertThat(docs).hasSize(6);
        for (Lexicon.Entry e : lex.entries()) {
            String core = e.definition().replaceAll("\\.$", "").substring(1);
            // one document names the term first, one ends with it
            assertThat(docs).filteredOn(d -> d.startsWith(e.term()) || d.startsWith("The meaning of \"" + e.term()))
                    .anyMatch(d -> d.contains(core));
            assertThat(docs).filteredOn(d -> d.endsWith("\"" + e.term() + "\" means.") || d.endsWith("is \"" + e.term() + "\"."))
                    .anyMatch(d -> d.contains(core));
        }
        assertThat(lex.documents(1, new Random(5))).isEqualTo(docs);
    }

    @Test
    void badLinesAreNamed() {
        assertThatThrownBy(() -> Lexicon.read("lex.txt", "[tools]\nhammer | a tool\n"))
                .hasMessageContaining("lex.txt").hasMessageContaining("[tools]");
        assertThatThrownBy(() -> Lexicon.read("lex.txt", "[everyday:home]\nhammer, a tool\n"))
                .hasMessageContaining("lex.txt").hasMessageContaining("'hammer, a tool'");
        assertThatThrownBy(() -> Lexicon.read("lex.txt", "[everyday:home]\nhammer | a tool\nHammer | a tool again\n"))
                .hasMessageContaining("'Hammer' appears twice");
        assertThatThrownBy(() -> Lexicon.read("lex.txt", "[everyday:home]\nhammer |\n"))
                .hasMessageContaining("empty");
    }
}
