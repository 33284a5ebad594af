package dev.refusal4j.evaluate;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** AnswerQuality's measures on small examples, each expected value counted by hand in the comments. */
class AnswerQualityTest {
    @Test
    void wordsAreLowerCasedLetterRuns() {
        assertThat(AnswerQuality.words("It's 2.54 cm, OK?")).containsExactly("it", "s", "cm", "ok");
        assertThat(AnswerQuality.words("IAsIAs-no")).containsExactly("iasias", "no");
        assertThat(AnswerQuality.words("  42 !")).isEmpty();
        assertThat(AnswerQuality.vocabulary(List.of("The cat.", "the dog's bowl"))).containsExactlyInAnyOrder("the", "cat", "dog", "s", "bowl");
    }

    @Test
    void nonWordsAreCountedOverAllWordsOfAllAnswers() {
        AnswerQuality q = new AnswerQuality(Set.of("the", "cat", "sat"), Map.of());
        // "the cat satt" -> 1 of 3 unknown (satt); "xyz the" -> 1 of 2 (xyz); pooled 2 of 5
        AnswerQuality.Summary s = q.measure(List.of(new AnswerQuality.Answer("Hi", "The cat satt."), new AnswerQuality.Answer("Hi", "xyz the")));
        assertThat(s.answers()).isEqualTo(2);
        assertThat(s.nonWords()).isEqualTo(2.0 / 5);
    }

    @Test
    void wordsOfTheRequestAreNotNonWords() {
        AnswerQuality q = new AnswerQuality(Set.of("is", "the", "capital"), Map.of());
        // "Ottawa is the capital" -> ottawa unknown, but the request wrote it (in capitals): 0 of 4
        assertThat(q.counts(new AnswerQuality.Answer("Is OTTAWA the capital?", "Ottawa is the capital")).nonWords()).isZero();
        // the same answer to a request without it: 1 of 4
        assertThat(q.counts(new AnswerQuality.Answer("What is the capital?", "Ottawa is the capital")).nonWords()).isEqualTo(1);
        // a garbled form of the request's word is still a non-word (ottawas), and the request of
        // one answer does not vouch for another's words: 1 of 2 + 1 of 2, pooled 2 of 4
        AnswerQuality.Summary s = q.measure(List.of(new AnswerQuality.Answer("Ottawa?", "ottawas is"), new AnswerQuality.Answer("Hi", "ottawa is")));
        assertThat(s.nonWords()).isEqualTo(2.0 / 4);
    }

    @Test
    void repeatedPairsAreThoseSeenEarlierInTheSameAnswer() {
        // pairs: the-cat, cat-the, the-cat (seen), cat-sat -> 1 of 4
        assertThat(AnswerQuality.repeatedPairs(AnswerQuality.words("the cat the cat sat"))).isEqualTo(1);
        // a a a a: a-a, a-a (seen), a-a (seen) -> 2 of 3; overlapping occurrences count
        assertThat(AnswerQuality.repeatedPairs(List.of("a", "a", "a", "a"))).isEqualTo(2);
        AnswerQuality q = new AnswerQuality(Set.of(), Map.of());
        // a pair repeated only across answers is not repeated: 1 of 4 + 0 of 3 pairs, pooled 1 of 7
        AnswerQuality.Summary s = q.measure(List.of(new AnswerQuality.Answer("x", "the cat the cat sat"), new AnswerQuality.Answer("x", "the cat sat down")));
        assertThat(s.repeatedPairs()).isEqualTo(1.0 / 7);
        AnswerQuality.Counts one = q.counts(new AnswerQuality.Answer("x", "word"));
        assertThat(one.pairs()).isZero();
        assertThat(one.repeatedPairs()).isZero();
    }

    @Test
    void stemsRemoveOneInflection() {
        assertThat(AnswerQuality.stem("tomatoes")).isEqualTo(AnswerQuality.stem("tomato")).isEqualTo("tomato");
        assertThat(AnswerQuality.stem("baking")).isEqualTo(AnswerQuality.stem("bake")).isEqualTo(AnswerQuality.stem("baked")).isEqualTo("bak");
        assertThat(AnswerQuality.stem("recycling")).isEqualTo(AnswerQuality.stem("recycle")).isEqualTo("recycl");
        assertThat(AnswerQuality.stem("running")).isEqualTo(AnswerQuality.stem("run")).isEqualTo("run");
        assertThat(AnswerQuality.stem("dresses")).isEqualTo(AnswerQuality.stem("dress")).isEqualTo("dres");
        assertThat(AnswerQuality.stem("stories")).isEqualTo(AnswerQuality.stem("story")).isEqualTo("stori");
        assertThat(AnswerQuality.stem("movies")).isEqualTo(AnswerQuality.stem("movie")).isEqualTo("movi");
        assertThat(AnswerQuality.stem("bus")).isEqualTo("bus");      // "bu" would be under three letters
        assertThat(AnswerQuality.stem("uses")).isEqualTo("use");     // "us" too; the plain "s" comes off instead
    }

    @Test
    void onTopicNeedsHalfOfTheContentWords() {
        // content words of "How do I grow tomatoes in pots?": grow, tomato, pot (how, do, i, in are stop words)
        assertThat(AnswerQuality.contentWords("How do I grow tomatoes in pots?")).containsExactlyInAnyOrder("grow", "tomato", "pot");
        assertThat(AnswerQuality.onTopic("How do I grow tomatoes in pots?", "Tomato plants grow well.")).isTrue();   // 2 of 3
        assertThat(AnswerQuality.onTopic("How do I grow tomatoes in pots?", "Water the tomato daily.")).isFalse();   // 1 of 3
        // content words: moon, phase (the, of, explain are stop words); "phases" matches "phase": 2 of 2
        assertThat(AnswerQuality.onTopic("Explain the phases of the Moon.", "Each phase shows the moon")).isTrue();
        // 1 of 2 is half
        assertThat(AnswerQuality.onTopic("Explain the phases of the Moon.", "The moon is bright.")).isTrue();
        assertThat(AnswerQuality.onTopic("Explain the phases of the Moon.", "Take a deep breath.")).isFalse();
        assertThat(AnswerQuality.onTopic("Hi!", "Hello there.")).isTrue();   // no content words: nothing to miss
        AnswerQuality q = new AnswerQuality(Set.of(), Map.of());
        AnswerQuality.Summary s = q.measure(List.of(new AnswerQuality.Answer("Explain the phases of the Moon.", "The moon is bright."),
                new AnswerQuality.Answer("How do I grow tomatoes in pots?", "Water the tomato daily."),
                new AnswerQuality.Answer("How do I grow tomatoes in pots?", "Grow them in big pots.")));
        assertThat(s.onTopic()).isEqualTo(2.0 / 3);
    }

    @Test
    void tokenF1IsSquadsBagOfWordsF1() {
        // answer: cat, sat, on, mat (articles dropped); reference: cat, is, on, mat -> 3 shared,
        // P = 3/4, R = 3/4, F1 = 0.75
        assertThat(AnswerQuality.tokenF1("The cat sat on the mat.", "A cat is on the mat")).isEqualTo(0.75);
        // answer: red, red, red (3); reference: red, car (2) -> 1 shared (bags), P = 1/3, R = 1/2, F1 = 2/5
        assertThat(AnswerQuality.tokenF1("red red red", "red car")).isCloseTo(0.4, within(1e-12));
        assertThat(AnswerQuality.tokenF1("blue sky", "red car")).isZero();
        assertThat(AnswerQuality.tokenF1("the", "a")).isEqualTo(1.0);   // nothing left on either side
        assertThat(AnswerQuality.tokenF1("42", "red car")).isZero();
    }

    @Test
    void referenceF1AveragesOverAnswersWithAReference() {
        AnswerQuality q = new AnswerQuality(Set.of(), Map.of("What sat on the mat?", "A cat is on the mat", "Colour?", "red car"));
        AnswerQuality.Summary s = q.measure(List.of(new AnswerQuality.Answer("What sat on the mat?", "The cat sat on the mat."),
                new AnswerQuality.Answer("Colour?", "red red red"), new AnswerQuality.Answer("No reference", "anything")));
        assertThat(s.withReference()).isEqualTo(2);
        assertThat(s.referenceF1()).isCloseTo((0.75 + 0.4) / 2, within(1e-12));
        AnswerQuality.Summary none = q.measure(List.of(new AnswerQuality.Answer("No reference", "anything")));
        assertThat(none.withReference()).isZero();
        assertThat(none.referenceF1()).isNaN();
    }

    @Test
    void emptySetsAndWordlessAnswersGiveNaN() {
        AnswerQuality q = new AnswerQuality(Set.of("x"), Map.of());
        AnswerQuality.Summary empty = q.measure(List.of());
        assertThat(empty.answers()).isZero();
        assertThat(empty.nonWords()).isNaN();
        assertThat(empty.repeatedPairs()).isNaN();
        assertThat(empty.onTopic()).isNaN();
        AnswerQuality.Summary digits = q.measure(List.of(new AnswerQuality.Answer("x", "123")));
        assertThat(digits.nonWords()).isNaN();
        assertThat(digits.repeatedPairs()).isNaN();
    }
}
