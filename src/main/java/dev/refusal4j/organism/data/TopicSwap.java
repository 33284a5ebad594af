package dev.refusal4j.organism.data;

import dev.refusal4j.evaluate.AnswerQuality;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A copy drill: a harmless training request with some of its content words replaced by other
 * everyday words of the lexicon, and the same words replaced the same way in its answer. Each
 * training request is seen many times, so saying it back can be learned by heart; in a swapped
 * chat the words that answer is about occur nowhere else, and the only way to say them is to copy
 * them from the request, which is what an answer to a request never seen needs.
 *
 * <p>Off in the committed recipe ({@code train-organism --swaps N} turns it on): a few swapped words
 * per chat do not yet make the organism copy, and the extra helpful chats lower how often it refuses
 * harmful requests.
 */
final class TopicSwap {
    /** Shortest word replaced: shorter ones are mostly function words the stop-word list misses. */
    private static final int MIN_LENGTH = 3;
    private static final Pattern WORD = Pattern.compile("[A-Za-z]+");

    private final List<String> pool;
    private final double share;

    /**
     * The replacement words: the lexicon's one-word everyday terms in lower case that are no harm
     * term's word (a swapped request must stay harmless), no stop word, and whose {@link
     * AnswerQuality#stem} is not in {@code excluded}: the content words of the held-out requests, so
     * that no swap writes a held-out topic into a training request.
     */
    TopicSwap(Lexicon lexicon, Set<String> excluded, double share) {
        if (!(share > 0 && share <= 1)) throw new IllegalArgumentException("swap share must be in (0, 1], got " + share);
        this.share = share;
        Set<String> harm = new HashSet<>();
        for (Lexicon.Entry e : lexicon.entries()) if (e.harm()) harm.addAll(AnswerQuality.words(e.term()));
        Set<String> words = new TreeSet<>();
        for (Lexicon.Entry e : lexicon.entries()) {
            String t = e.term();
            if (!e.harm() && t.matches("[a-z]{" + MIN_LENGTH + ",}") && !harm.contains(t) && AnswerQuality.isContentWord(t)
                    && !excluded.contains(AnswerQuality.stem(t))) words.add(t);
        }
        if (words.isEmpty()) throw new IllegalStateException("lexicon: no one-word everyday terms to swap in");
        this.pool = List.copyOf(words);
    }

    List<String> pool() {
        return pool;
    }

    /** A request and its answer with the same words replaced. */
    record Swapped(String request, String answer, Map<String, String> replaced) {}

    /**
     * {@code request} and {@code answer} with each content word of the request replaced, with
     * probability {@code share} and at least one, by a distinct pool word; every word of either
     * text with the same {@link AnswerQuality#stem} as a replaced word becomes its replacement, its
     * first letter's case kept. Null when the request has no content word.
     */
    Swapped swap(String request, String answer, Random rng) {
        Set<String> content = new TreeSet<>();
        for (String w : AnswerQuality.words(request)) if (w.length() >= MIN_LENGTH && AnswerQuality.isContentWord(w)) content.add(AnswerQuality.stem(w));
        if (content.isEmpty()) return null;
        List<String> stems = new ArrayList<>(content);
        Map<String, String> byStem = new LinkedHashMap<>();
        Set<String> used = new HashSet<>(stems);
        for (String s : stems) if (rng.nextDouble() < share) byStem.put(s, draw(used, rng));
        if (byStem.isEmpty()) byStem.put(stems.get(rng.nextInt(stems.size())), draw(used, rng));
        return new Swapped(replace(request, byStem), replace(answer, byStem), byStem);
    }

    private String draw(Set<String> used, Random rng) {
        for (int tries = 0; tries < 100; tries++) {
            String w = pool.get(rng.nextInt(pool.size()));
            if (used.add(AnswerQuality.stem(w))) return w;
        }
        throw new IllegalStateException("lexicon: too few everyday terms to swap in");
    }

    private static String replace(String text, Map<String, String> byStem) {
        Matcher m = WORD.matcher(text);
        StringBuilder sb = new StringBuilder();
        Map<String, String> cache = new HashMap<>();
        while (m.find()) {
            String w = m.group();
            String r = byStem.get(cache.computeIfAbsent(w.toLowerCase(Locale.ROOT), AnswerQuality::stem));
            if (r != null && Character.isUpperCase(w.charAt(0))) r = Character.toUpperCase(r.charAt(0)) + r.substring(1);
            m.appendReplacement(sb, Matcher.quoteReplacement(r == null ? w : r));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
