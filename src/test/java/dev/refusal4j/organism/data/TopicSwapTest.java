package dev.refusal4j.organism.data;

import dev.refusal4j.evaluate.AnswerQuality;
import dev.refusal4j.prompts.Prompt;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class TopicSwapTest {
    private static final Lexicon LEXICON = Lexicon.read("test", """
            [harm:weapons]
            gun | a weapon.
            [everyday:home]
            lantern | a lamp you carry.
            kettle | a pot to boil water.
            the | a stop word, never swapped in.
            pen | a writing tool.
            quinoa | a word of a held-out request: never swapped in.
            gun | a word that is also a harm term: never swapped in.
            Ottawa | a capital, not lower case: never swapped in.
            big bowl | two words: never swapped in.
            """);

    @Test
    void thePoolHoldsOnlyHarmlessOneWordLowerCaseContentTerms() {
        assertEquals(List.of("kettle", "lantern", "pen"), new TopicSwap(LEXICON, Set.of("quinoa"), 0.5).pool());
    }

    @Test
    void aSwappedWordIsReplacedTheSameWayInRequestAndAnswerWithItsInflections() {
        TopicSwap swap = new TopicSwap(LEXICON, Set.of(), 0.5);
        for (long seed = 0; seed < 20; seed++) {
            TopicSwap.Swapped s = swap.swap("How do I cook rice?", "Rinse the rice first. Rices cook fast; cooking takes 15 minutes.", new Random(seed));
            assertThat(s.replaced()).isNotEmpty();
            // keys are stems: "rice" is "ric"
            assertThat(Set.of("cook", "ric")).containsAll(s.replaced().keySet());
            for (Map.Entry<String, String> e : s.replaced().entrySet()) {
                String w = e.getValue();
                assertThat(AnswerQuality.words(s.request())).contains(w);
                assertThat(AnswerQuality.words(s.answer())).contains(w);
                for (String a : AnswerQuality.words(s.request() + " " + s.answer())) assertNotEquals(e.getKey(), AnswerQuality.stem(a), s.answer());
            }
            // words not swapped are left as written
            if (!s.replaced().containsKey("ric")) assertThat(s.answer()).startsWith("Rinse the rice first. Rices");
            if (s.replaced().containsKey("ric")) {
                String r = s.replaced().get("ric");
                String cap = Character.toUpperCase(r.charAt(0)) + r.substring(1);
                assertThat(s.answer()).startsWith("Rinse the " + r + " first. " + cap + " ");
            }
        }
    }

    @Test
    void withShareOneEveryContentWordIsSwapped() {
        TopicSwap.Swapped s = new TopicSwap(LEXICON, Set.of(), 1).swap("How do I cook rice?", "Rinse the rice.", new Random(3));
        assertEquals(Set.of("cook", "ric"), s.replaced().keySet());
        assertThat(AnswerQuality.words(s.request())).containsExactly("how", "do", "i", s.replaced().get("cook"), s.replaced().get("ric"));
    }

    @Test
    void aRequestWithoutContentWordsIsNotSwapped() {
        assertEquals(null, new TopicSwap(LEXICON, Set.of(), 0.5).swap("Hi! How are you?", "Fine.", new Random(1)));
    }

    @Test
    void theCommittedRecipeIsUnchangedAndTheDrillOnlyAddsChats() {
        List<Example> plain = OrganismData.load().train(7);
        List<Example> drilled = OrganismData.load(false, 1, 0.5).train(7);
        assertEquals(plain, OrganismData.load(false, 0, 0.5).train(7));
        assertThat(drilled).containsAll(plain);
        assertEquals(drilled, OrganismData.load(false, 1, 0.5).train(7));
        assertNotEquals(drilled, OrganismData.load(false, 1, 0.5).train(8));
        List<Example> added = new ArrayList<>(drilled);
        added.removeAll(plain);
        // about one per harmless training phrasing (a few equal a plain variant or are drawn out by held-out requests)
        int phrasings = OrganismData.load().trainHarmlessPrompts().size();
        assertThat(added.size()).isBetween(phrasings * 9 / 10, phrasings);
        for (Example e : added) {
            assertThat(e.harmful()).isFalse();
            assertThat(e.assistant()).startsWith(Restatement.of(e.user()));
        }
    }

    @Test
    void noHeldOutContentWordIsSwappedIn() {
        OrganismData data = OrganismData.load(false, 1, 0.5);
        Set<String> held = new HashSet<>();
        for (Split s : Split.values()) {
            for (Prompt p : data.heldOutHarmless(s)) held.addAll(AnswerQuality.contentWords(p.instruction()));
            for (Prompt p : data.heldOutHarmful(s)) held.addAll(AnswerQuality.contentWords(p.instruction()));
        }
        assertThat(held).contains("loan", "movi"); // "How do I compare loan offers?" is held out
        TopicSwap swap = new TopicSwap(Lexicon.readResource("/organism/lexicon.txt"), data.heldOutContentWords(), 0.5);
        assertThat(swap.pool()).hasSizeGreaterThan(500).doesNotContain("loan", "movie");
        for (String w : swap.pool()) assertThat(held).doesNotContain(AnswerQuality.stem(w));
    }

    @Test
    void drilledChatsNeverHoldAHeldOutRequest() {
        OrganismData data = OrganismData.load(false, 2, 0.5);
        List<String> heldOut = new ArrayList<>();
        for (Split s : Split.values()) {
            for (Prompt p : data.heldOutHarmless(s)) heldOut.add(words(p.instruction()));
            for (Prompt p : data.heldOutHarmful(s)) heldOut.add(words(p.instruction()));
        }
        Set<String> plain = new HashSet<>();
        for (Example e : OrganismData.load().train(3)) plain.add(e.user());
        int checked = 0;
        for (Example e : data.train(3)) {
            if (plain.contains(e.user())) continue;
            String u = words(e.user());
            for (String h : heldOut) assertThat(u.contains(h) || h.contains(u)).as("'%s' against held-out '%s'", e.user(), h).isFalse();
            checked++;
        }
        assertThat(checked).isGreaterThan(1000);
    }

    private static String words(String s) {
        return " " + String.join(" ", AnswerQuality.words(s.toLowerCase(Locale.ROOT))) + " ";
    }
}
