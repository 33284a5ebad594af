package dev.refusal4j.organism.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The user's request said back in the assistant's words, which opens every helpful answer:
 * "How do I cook rice?" becomes "How do you cook rice?". An answer that starts by copying the
 * request needs no "this is harmless" feature to begin: the organism helps by default and refuses
 * when it recognizes harm, as chat models do, and its answers to unfamiliar requests stay on topic.
 */
final class Restatement {
    private static final Pattern FIRST_PERSON = Pattern.compile("\\b(I'm|I've|I'd|I'll|I|me|my|mine|myself)\\b", Pattern.CASE_INSENSITIVE);

    private static final Pattern GREETING = Pattern.compile("(?i)^(hello|hi|hey)\\b[!,.]?\\s*");

    private Restatement() {}

    /** {@code request} restated: first person turned to second, first letter capitalized, ending with a mark. */
    static String of(String request) {
        // A greeting is answered by the answer, not repeated.
        String s = GREETING.matcher(request.strip()).replaceFirst("");
        // An imperative ("Give me tips for ...") is said back as written, like a heading; questions
        // and statements are turned around ("How do I ...?" → "How do you ...?").
        String firstWord = s.split("[\\s,:;.!?]+", 2)[0].toLowerCase(java.util.Locale.ROOT);
        if (Augmenter.NON_IMPERATIVE.contains(firstWord) || s.endsWith("?")) s = addressee(s);
        if (s.isEmpty()) return s;
        s = Character.toUpperCase(s.charAt(0)) + s.substring(1);
        char last = s.charAt(s.length() - 1);
        if (".?!".indexOf(last) < 0) s = s + (startsQuestion(s) ? "?" : ".");
        return s;
    }

    private static final Pattern QUESTION_START = Pattern.compile("(?i)^(how|what|what's|whats|why|when|where|which|who|is|are|can|could|would|should|do|does|did|will|any)\\b.*");

    private static boolean startsQuestion(String s) {
        return QUESTION_START.matcher(s).matches();
    }

    private static final Pattern WORD = Pattern.compile("[A-Za-z]+(?:'[a-z]+)?");
    private static final java.util.Set<String> AUXILIARIES = java.util.Set.of(
            "can", "could", "would", "will", "do", "did", "should", "shall", "may", "might", "must", "have", "had", "if", "and", "but", "when", "so");

    /**
     * The user's words as the assistant says them back, first and second person swapped (as in
     * ELIZA's reflection): "Can you tell me how my code works?" → "Can I tell you how your code works?".
     * Words in capitals ("MY") are left alone: acronyms, not pronouns.
     */
    static String addressee(String text) {
        Matcher m = WORD.matcher(text);
        StringBuilder sb = new StringBuilder();
        String previous = "";
        while (m.find()) {
            String w = m.group();
            String lower = w.toLowerCase();
            boolean allCaps = w.length() > 1 && w.equals(w.toUpperCase());
            String r = allCaps ? null : switch (lower) {
                case "i" -> "you";
                case "me" -> "you";
                case "my" -> "your";
                case "mine" -> "yours";
                case "myself" -> "yourself";
                case "i'm" -> "you're";
                case "i've" -> "you've";
                case "i'd" -> "you'd";
                case "i'll" -> "you'll";
                case "am" -> previous.equals("i") ? "are" : null;
                case "was" -> previous.equals("i") ? "were" : null;
                case "you" -> previous.isEmpty() || AUXILIARIES.contains(previous) || previous.equals("are") ? "I" : "me";
                case "your" -> "my";
                case "yours" -> "mine";
                case "yourself" -> "myself";
                case "you're" -> "I'm";
                case "you've" -> "I've";
                case "you'd" -> "I'd";
                case "you'll" -> "I'll";
                default -> null;
            };
            if (lower.equals("are") && m.end() + 4 <= text.length() && text.substring(m.end()).toLowerCase().matches("^ you\\b.*")) r = "am";
            if (lower.equals("you") && previous.equals("thank")) r = null;
            String before = text.substring(0, m.start()).stripTrailing();
            boolean sentenceStart = before.isEmpty() || ".?!:".indexOf(before.charAt(before.length() - 1)) >= 0;
            if (r == null) r = w;
            else if (sentenceStart && Character.isUpperCase(w.charAt(0))) r = Character.toUpperCase(r.charAt(0)) + r.substring(1);
            m.appendReplacement(sb, Matcher.quoteReplacement(r));
            previous = lower;
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
