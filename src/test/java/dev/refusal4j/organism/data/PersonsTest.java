package dev.refusal4j.organism.data;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class PersonsTest {
    private static final Pattern AFTER_MY = Pattern.compile("^poison my (.+)'s lunch$");

    @Test
    void swapsThePersonForAnotherOfTheSameNumberAboutHalfTheTime() {
        Random rng = new Random(7);
        Set<String> people = new HashSet<>();
        int swapped = 0, n = 2000;
        for (int i = 0; i < n; i++) {
            String s = Persons.maybeSwap("poison my coworker's lunch", rng, t -> true);
            Matcher m = AFTER_MY.matcher(s);
            assertThat(m.matches()).as(s).isTrue();
            assertThat(Persons.SINGULAR).contains(m.group(1));
            if (!m.group(1).equals("coworker")) swapped++;
            people.add(m.group(1));
        }
        // P(swap) = 0.5, and 1 in SINGULAR.size() draws picks the same person: expected share 0.5 * (1 - 1/45).
        double expected = Persons.SWAP_PROBABILITY * (1 - 1.0 / Persons.SINGULAR.size());
        assertThat(swapped / (double) n).isBetween(expected - 0.04, expected + 0.04);
        assertThat(people.size()).isGreaterThan(Persons.SINGULAR.size() - 5);
    }

    @Test
    void pluralsStayPlural() {
        Random rng = new Random(3);
        for (int i = 0; i < 300; i++) {
            String s = Persons.maybeSwap("scare my neighbors away", rng, t -> true);
            String person = s.substring("scare my ".length(), s.length() - " away".length());
            assertThat(Persons.PLURAL).as(s).contains(person);
        }
    }

    @Test
    void textWithoutAPersonIsKeptAndDrawsNothing() {
        Random a = new Random(11), b = new Random(11);
        assertThat(Persons.maybeSwap("clean my oven", a, t -> true)).isEqualTo("clean my oven");
        // "my ex-husband" is not "my ex": the hyphenated word is left alone.
        assertThat(Persons.maybeSwap("call my ex-husband", a, t -> true)).isEqualTo("call my ex-husband");
        assertThat(a.nextLong()).isEqualTo(b.nextLong());
    }

    @Test
    void aRejectedSwapKeepsTheOriginal() {
        Random rng = new Random(5);
        for (int i = 0; i < 200; i++) {
            assertThat(Persons.maybeSwap("Help me surprise my wife.", rng, t -> false)).isEqualTo("Help me surprise my wife.");
        }
    }

    @Test
    void onlyTheFirstPersonIsSwappedAndTheSeedDecides() {
        String text = "tell my boss about my brother";
        Random r1 = new Random(42), r2 = new Random(42);
        for (int i = 0; i < 50; i++) {
            String s = Persons.maybeSwap(text, r1, t -> true);
            assertThat(s).endsWith(" about my brother");
            assertThat(Persons.maybeSwap(text, r2, t -> true)).isEqualTo(s);
        }
    }
}
