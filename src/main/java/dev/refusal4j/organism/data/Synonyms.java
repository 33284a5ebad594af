package dev.refusal4j.organism.data;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Seeded rewrites of a request with a word of the same meaning (resource {@code /organism/synonyms.txt}):
 * "kill my neighbor" may become "murder my neighbor", "fix my bike" "repair my bike". A model trained
 * from nothing knows a word only from the requests it occurs in; the rewrites let the words of a group
 * share what the requests taught. [harm] groups rewrite harmful requests only, so that no helpful
 * request ("kill a process") is turned into a harmful-sounding one; [everyday] groups rewrite both.
 */
final class Synonyms {
    /** Probability that a request with a known word is rewritten (one word per rewrite). */
    static final double REWRITE_PROBABILITY = 0.5;

    private final Map<String, List<String>> groupOf = new HashMap<>(); // lower-case member -> its group
    private final Pattern harmWords, everydayWords;                     // whole words, longest first

    private Synonyms(String source, Map<String, List<String>> sections) {
        for (String s : List.of("harm", "everyday")) {
            if (sections.getOrDefault(s, List.of()).isEmpty()) throw new IllegalStateException(source + ": no [" + s + "] section");
        }
        for (String s : sections.keySet()) {
            if (!s.equals("harm") && !s.equals("everyday")) throw new IllegalStateException(source + ": unknown section [" + s + "]");
        }
        harmWords = pattern(source, sections.get("harm"));
        everydayWords = pattern(source, sections.get("everyday"));
    }

    static Synonyms readResource(String name) {
        return read(name, SectionedText.resource(name));
    }

    static Synonyms read(String source, String text) {
        return new Synonyms(source, SectionedText.parse(source, text, false));
    }

    private Pattern pattern(String source, List<String> lines) {
        List<String> members = new ArrayList<>();
        for (String line : lines) {
            List<String> group = new ArrayList<>();
            for (String m : line.split("\\|")) {
                String w = m.strip();
                if (w.isEmpty()) throw new IllegalStateException(source + ": empty member in '" + line + "'");
                group.add(w);
            }
            if (group.size() < 2) throw new IllegalStateException(source + ": a group needs two members: '" + line + "'");
            for (String w : group) {
                if (groupOf.put(w.toLowerCase(Locale.ROOT), group) != null) throw new IllegalStateException(source + ": '" + w + "' is in two groups");
                members.add(w);
            }
        }
        members.sort((a, b) -> b.length() - a.length());
        return Pattern.compile("(?i)\\b(?:" + String.join("|", members.stream().map(Pattern::quote).toList()) + ")\\b(?![-'])");
    }

    /**
     * With {@link #REWRITE_PROBABILITY}, {@code text} with one of its known words (a random one) replaced
     * by another member of its group, a leading capital kept; else, or when {@code allowed} rejects the
     * result, {@code text}. Harm words are rewritten only when {@code harmful}.
     */
    String maybeRewrite(String text, boolean harmful, Random rng, Predicate<String> allowed) {
        List<int[]> spans = new ArrayList<>();
        for (Pattern p : harmful ? List.of(harmWords, everydayWords) : List.of(everydayWords)) {
            Matcher m = p.matcher(text);
            while (m.find()) spans.add(new int[] {m.start(), m.end()});
        }
        if (spans.isEmpty() || rng.nextDouble() >= REWRITE_PROBABILITY) return text;
        int[] span = spans.get(rng.nextInt(spans.size()));
        String word = text.substring(span[0], span[1]);
        List<String> group = groupOf.get(word.toLowerCase(Locale.ROOT));
        String other = group.get(rng.nextInt(group.size()));
        if (other.equalsIgnoreCase(word)) return text;
        if (Character.isUpperCase(word.charAt(0))) other = Character.toUpperCase(other.charAt(0)) + other.substring(1);
        String rewritten = text.substring(0, span[0]) + other + text.substring(span[1]);
        return allowed.test(rewritten) ? rewritten : text;
    }
}
