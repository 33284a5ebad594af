package dev.refusal4j.evaluate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Whether answers are text a reader can follow, beside the refusal judge, which only asks whether
 * an answer holds a refusal phrase. Four measures of a set of answers to requests:
 * <ul>
 *   <li><b>non-words</b>: the share of the answers' words that are neither known words (for the
 *       organism: words of its training texts) nor words of the answer's own request, over all
 *       words of all answers. A word the user wrote is not a non-word when the answer says it back
 *       ("Ottawa" to "Is Ottawa the capital of Canada?"), even where the model never saw it: without
 *       that, an answer that names what was asked would be counted garbled for it;</li>
 *   <li><b>repeated pairs</b>: the share of adjacent word pairs that already occurred earlier in the
 *       same answer, over all pairs of all answers ("the cat the cat" repeats 1 of 3);</li>
 *   <li><b>on topic</b>: the share of answers holding at least half of their request's content
 *       words ({@link #contentWords}), matched by {@link #stem};</li>
 *   <li><b>reference F1</b>: SQuAD's token F1 between an answer and the reference answer written
 *       for its request ({@link #tokenF1}), averaged over the answers that have one.</li>
 * </ul>
 * A word is a run of ASCII letters, lower-cased ({@link #words}): digits and punctuation separate
 * words and are not words, so "it's" is "it" and "s", and "2.54 cm" is "cm".
 */
public final class AnswerQuality {
    /** One request and the answer given to it. */
    public record Answer(String request, String text) {}

    /**
     * The measures of a set of answers; a share is NaN where it has nothing to count (no words, no
     * pairs, no answers, no reference).
     *
     * @param withReference answers whose request has a reference answer, the ones {@code referenceF1} averages
     */
    public record Summary(int answers, double nonWords, double repeatedPairs, double onTopic, int withReference, double referenceF1) {
        /** One line: "5.2% non-words, 4.3% repeated word pairs, 40.0% on topic, reference F1 0.213 over 100 (100 answers)". */
        public String describe() {
            return String.format(Locale.ROOT, "%s non-words, %s repeated word pairs, %s on topic%s (%d answers)",
                    percent(nonWords), percent(repeatedPairs), percent(onTopic),
                    withReference == 0 ? "" : String.format(Locale.ROOT, ", reference F1 %.3f over %d", referenceF1, withReference), answers);
        }

        private static String percent(double share) {
            return Double.isNaN(share) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * share);
        }
    }

    /** Counts of one answer, the terms {@link #measure} sums. */
    public record Counts(int words, int nonWords, int pairs, int repeatedPairs, boolean onTopic) {}

    /**
     * Function words and the words requests are asked with ("tell me", "give me tips"), which an
     * answer on topic need not repeat; written for the organism's English requests.
     */
    static final Set<String> STOP_WORDS = Set.of(
            "a", "an", "the", "and", "or", "but", "if", "so", "than", "then", "not", "no", "yes",
            "to", "of", "in", "on", "at", "by", "for", "with", "from", "into", "about", "as", "up", "out", "off", "over",
            "i", "me", "my", "mine", "myself", "you", "your", "yours", "we", "us", "our", "he", "him", "his", "she", "her",
            "it", "its", "they", "them", "their", "this", "that", "these", "those", "there", "here", "one", "someone",
            "what", "which", "who", "whom", "whose", "when", "where", "why", "how",
            "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "have", "has", "had",
            "can", "could", "should", "would", "will", "shall", "may", "might", "must",
            "s", "t", "m", "d", "ll", "re", "ve",
            "please", "thanks", "thank", "hi", "hey", "hello", "okay", "ok",
            "tell", "give", "show", "explain", "describe", "list", "suggest", "recommend",
            "some", "any", "much", "many", "more", "most", "very", "really", "just", "also", "all", "every",
            "good", "best", "way", "ways", "tips", "tip", "idea", "ideas", "know", "need", "want", "like", "get", "make");

    /** Articles, which SQuAD's normalization drops before it compares tokens. */
    private static final Set<String> ARTICLES = Set.of("a", "an", "the");

    private final Set<String> knownWords;
    private final Map<String, String> references;

    /**
     * @param knownWords the words that are not non-words in any answer, as {@link #words} gives them
     * @param references reference answers by request, exactly as the request is written
     */
    public AnswerQuality(Set<String> knownWords, Map<String, String> references) {
        this.knownWords = Set.copyOf(knownWords);
        this.references = Map.copyOf(references);
    }

    /** The words of {@code text}: its runs of ASCII letters, lower-cased, in order. */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : ' ';
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (letter && start < 0) start = i;
            if (!letter && start >= 0) {
                out.add(text.substring(start, i).toLowerCase(Locale.ROOT));
                start = -1;
            }
        }
        return out;
    }

    /** Every word of {@code texts}: the known words of a model trained on them. */
    public static Set<String> vocabulary(Collection<String> texts) {
        Set<String> out = new HashSet<>();
        for (String t : texts) out.addAll(words(t));
        return out;
    }

    /** The measures of {@code answers}. */
    public Summary measure(List<Answer> answers) {
        long words = 0, nonWords = 0, pairs = 0, repeated = 0;
        int onTopic = 0, withReference = 0;
        double f1 = 0;
        for (Answer a : answers) {
            Counts c = counts(a);
            words += c.words();
            nonWords += c.nonWords();
            pairs += c.pairs();
            repeated += c.repeatedPairs();
            if (c.onTopic()) onTopic++;
            String ref = references.get(a.request());
            if (ref != null) {
                withReference++;
                f1 += tokenF1(a.text(), ref);
            }
        }
        return new Summary(answers.size(), share(nonWords, words), share(repeated, pairs), share(onTopic, answers.size()),
                withReference, withReference == 0 ? Double.NaN : f1 / withReference);
    }

    /** One answer's counts. */
    public Counts counts(Answer a) {
        List<String> w = words(a.text());
        Set<String> asked = new HashSet<>(words(a.request()));
        int unknown = 0;
        for (String x : w) if (!knownWords.contains(x) && !asked.contains(x)) unknown++;
        return new Counts(w.size(), unknown, Math.max(0, w.size() - 1), repeatedPairs(w), onTopic(a.request(), a.text()));
    }

    /** The adjacent pairs of {@code words} that occurred earlier in it (an overlapping earlier occurrence counts). */
    static int repeatedPairs(List<String> words) {
        Set<List<String>> seen = new HashSet<>();
        int repeated = 0;
        for (int i = 0; i + 1 < words.size(); i++) if (!seen.add(List.of(words.get(i), words.get(i + 1)))) repeated++;
        return repeated;
    }

    /** Whether {@code word} (lower case, as {@link #words} gives it) is no stop word: a word an answer on topic says back. */
    public static boolean isContentWord(String word) {
        return !STOP_WORDS.contains(word);
    }

    /**
     * The request's content words as stems: its words that are not {@link #STOP_WORDS}, each by
     * {@link #stem}, without repeats.
     */
    public static Set<String> contentWords(String request) {
        Set<String> out = new HashSet<>();
        for (String w : words(request)) if (isContentWord(w)) out.add(stem(w));
        return out;
    }

    /**
     * True when the answer holds at least half of the request's content words, a content word
     * matching any answer word of the same {@link #stem}. A request without content words
     * ("Hi!") leaves nothing to miss: any answer is on topic.
     */
    public static boolean onTopic(String request, String answer) {
        Set<String> content = contentWords(request);
        Set<String> said = new HashSet<>();
        for (String w : words(answer)) said.add(stem(w));
        int found = 0;
        for (String c : content) if (said.contains(c)) found++;
        return 2 * found >= content.size();
    }

    /**
     * A word without its inflection, so that "tomatoes" matches "tomato", "baking" "bake" and
     * "movies" "movie": one ending removed ("ing", "ed", "es" or "s"), then a final "e", where at
     * least three letters remain; then a final "y" written "i" ("stories", "story"), and one letter
     * of a final double consonant dropped where more than three remain ("running", "run"). It
     * conflates some words it should not and misses irregular forms ("ran"); it is the same for
     * every model measured.
     */
    public static String stem(String word) {
        String w = strip(strip(word, "ing", "ed", "es", "s"), "e");
        if (w.endsWith("y")) w = w.substring(0, w.length() - 1) + "i";
        int n = w.length();
        if (n > 3 && w.charAt(n - 1) == w.charAt(n - 2) && "aeiou".indexOf(w.charAt(n - 1)) < 0) w = w.substring(0, n - 1);
        return w;
    }

    /** {@code w} without the first of {@code endings} it ends with, where at least three letters remain. */
    private static String strip(String w, String... endings) {
        for (String e : endings) if (w.endsWith(e) && w.length() - e.length() >= 3) return w.substring(0, w.length() - e.length());
        return w;
    }

    /**
     * SQuAD's token F1 (its {@code f1_score}): the answer's and the reference's words without
     * articles, compared as bags; 2PR/(P+R) of the shared count over each side's count. Two texts
     * without words score 1, one without words 0.
     */
    public static double tokenF1(String answer, String reference) {
        List<String> a = withoutArticles(words(answer)), r = withoutArticles(words(reference));
        if (a.isEmpty() || r.isEmpty()) return a.isEmpty() && r.isEmpty() ? 1 : 0;
        Map<String, Integer> left = new HashMap<>();
        for (String w : r) left.merge(w, 1, Integer::sum);
        int common = 0;
        for (String w : a) {
            Integer k = left.get(w);
            if (k != null && k > 0) {
                common++;
                left.put(w, k - 1);
            }
        }
        if (common == 0) return 0;
        double precision = (double) common / a.size(), recall = (double) common / r.size();
        return 2 * precision * recall / (precision + recall);
    }

    private static List<String> withoutArticles(List<String> words) {
        return words.stream().filter(w -> !ARTICLES.contains(w)).toList();
    }

    private static double share(long part, long whole) {
        return whole == 0 ? Double.NaN : (double) part / whole;
    }
}
