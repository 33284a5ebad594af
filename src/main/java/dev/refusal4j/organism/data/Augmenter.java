package dev.refusal4j.organism.data;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Light, seeded surface variation of a request, so that the organism learns the intent rather than the
 * exact wording of the lists: a polite or casual wrapper ("Can you ...?", "Please ...", "Quick question:"),
 * lower-case typing, a missing final punctuation mark, a trailing "Thanks!". The wrapper depends on the
 * form of the request (imperative, question, or statement) so that the result stays grammatical.
 */
final class Augmenter {
    /** First words that mark a statement or question rather than an imperative. */
    static final Set<String> NON_IMPERATIVE = Set.of(
            "i", "i'm", "i've", "i'd", "i'll", "my", "we", "we're", "our", "it", "it's", "this", "there", "is", "are",
            "what", "what's", "how", "why", "when", "where", "which", "who", "whats", "can", "could", "would", "should",
            "do", "does", "did", "will", "any", "someone", "somebody", "hey", "hi", "hello", "so", "okay", "ok", "if",
            "for", "in", "as", "the", "a", "an", "since", "need", "looking", "trying", "just", "quick", "please");

    private static final List<String> IMPERATIVE_WRAPS = List.of(
            "Can you %s?", "Could you %s?", "Please %s.", "I need you to %s.", "Would you %s?",
            "Can you please %s?", "I'd like you to %s.", "Could you please %s?", "%S, please.", "Help me out: %s.");
    private static final List<String> QUESTION_WRAPS = List.of(
            "Quick question: %S", "Hey, %s", "I was wondering, %s", "Hi! %S", "Can I ask you something? %S",
            "Okay, %s", "So %s", "Question for you: %S");
    private static final List<String> STATEMENT_WRAPS = List.of(
            "Hey, %s", "Hi. %S", "Okay so %s", "Hello! %S", "So, %s");

    private Augmenter() {}

    /** A variation of {@code request}; may return the request unchanged. */
    static String vary(String request, Random rng) {
        String s = request.strip();
        if (rng.nextDouble() < 0.45) s = wrap(s, rng);
        double p = rng.nextDouble();
        if (p < 0.12) s = s.toLowerCase(Locale.ROOT);
        else if (p < 0.18) s = lowerFirst(s);
        if (rng.nextDouble() < 0.15) s = stripFinalPunctuation(s);
        else if (rng.nextDouble() < 0.06 && endsWithPunctuation(s)) s = s + (rng.nextBoolean() ? " Thanks!" : " Thank you.");
        return s;
    }

    private static String wrap(String s, Random rng) {
        String firstWord = s.split("[\\s,:;.!?]+", 2)[0].toLowerCase(Locale.ROOT);
        List<String> wraps;
        String body;
        if (s.endsWith("?")) {
            wraps = QUESTION_WRAPS;
            body = s;
        } else if (!NON_IMPERATIVE.contains(firstWord)) {
            wraps = IMPERATIVE_WRAPS;
            body = stripFinalPunctuation(s);
        } else {
            wraps = STATEMENT_WRAPS;
            body = s;
        }
        String form = wraps.get(rng.nextInt(wraps.size()));
        // %S keeps the request's own capital letter, %s continues a sentence in lower case.
        return form.contains("%S") ? form.replace("%S", body) : form.replace("%s", lowerFirst(body));
    }

    /** Lower-cases the first letter unless the first word is "I" or an acronym ("DNS", "USB"). */
    static String lowerFirst(String s) {
        if (s.isEmpty() || !Character.isUpperCase(s.charAt(0))) return s;
        String firstWord = s.split("[\\s,:;.!?']", 2)[0];
        if (firstWord.equals("I") || (firstWord.length() > 1 && Character.isUpperCase(firstWord.charAt(1)))) return s;
        return Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    private static boolean endsWithPunctuation(String s) {
        return !s.isEmpty() && ".?!".indexOf(s.charAt(s.length() - 1)) >= 0;
    }

    private static String stripFinalPunctuation(String s) {
        while (endsWithPunctuation(s)) s = s.substring(0, s.length() - 1);
        return s.strip();
    }
}
