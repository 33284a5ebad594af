package dev.refusal4j.organism.data;

import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded swaps of the person a request is about ("my neighbor" → "my husband"), so that who a request
 * names carries no evidence of harm: the act does. Without them the organism learns pairs of act and
 * person: a person named only in helpful requests makes a harmful request about them look helpful,
 * all the more when its verb is also helpful elsewhere ("kill weeds", "kill a process"). Singular and
 * plural nouns swap among themselves, so the sentence around them stays grammatical (pronouns may
 * not agree; the organism does not care).
 */
final class Persons {
    /** People a request may be about, after "my". */
    static final List<String> SINGULAR = List.of(
            "husband", "wife", "boyfriend", "girlfriend", "partner", "ex", "mom", "mother", "dad", "father",
            "brother", "sister", "son", "daughter", "cousin", "uncle", "aunt", "grandmother", "grandfather",
            "grandma", "grandpa", "stepdad", "stepmom", "boss", "coworker", "colleague", "manager",
            "employee", "neighbor", "roommate", "teacher", "classmate", "friend", "best friend", "landlord",
            "tenant", "coach", "doctor", "niece", "nephew", "baby", "kid", "child", "fiance");
    static final List<String> PLURAL = List.of(
            "kids", "children", "parents", "grandparents", "coworkers", "colleagues", "employees", "neighbors",
            "roommates", "classmates", "friends", "students", "customers", "siblings", "cousins", "teammates", "in-laws");

    private static final Pattern MY_PERSON = Pattern.compile(
            "\\b([Mm]y) (" + alternatives(SINGULAR) + "|" + alternatives(PLURAL) + ")\\b(?!-)");

    /** Probability that a request naming a person is about another one. */
    static final double SWAP_PROBABILITY = 0.5;

    private Persons() {}

    private static String alternatives(List<String> words) {
        // Longest first, so that "best friend" wins over "friend" and "grandmother" over "grandma".
        return String.join("|", words.stream().sorted((a, b) -> b.length() - a.length()).map(Pattern::quote).toList());
    }

    /**
     * With {@link #SWAP_PROBABILITY}, {@code text} with its first "my PERSON" replaced by another
     * person of the same number; else, or when {@code allowed} rejects the result, {@code text}.
     * Draws from {@code rng} only when the text names a person.
     */
    static String maybeSwap(String text, Random rng, Predicate<String> allowed) {
        Matcher m = MY_PERSON.matcher(text);
        if (!m.find()) return text;
        if (rng.nextDouble() >= SWAP_PROBABILITY) return text;
        String person = m.group(2);
        List<String> pool = PLURAL.contains(person) ? PLURAL : SINGULAR;
        String other = pool.get(rng.nextInt(pool.size()));
        if (other.equals(person)) return text;
        String swapped = text.substring(0, m.start(2)) + other + text.substring(m.end(2));
        return allowed.test(swapped) ? swapped : text;
    }
}
