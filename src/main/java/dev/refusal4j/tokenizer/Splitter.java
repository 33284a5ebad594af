package dev.refusal4j.tokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts a string at the matches of a pattern, keeping or merging the matched parts the way the
 * {@code SplitDelimiterBehavior} of Hugging Face's tokenizers does. Empty parts are dropped.
 */
final class Splitter {
    /** What happens to a matched part. */
    enum Behavior {
        REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS;

        static Behavior parse(String name) {
            return switch (name) {
                case "Removed" -> REMOVED;
                case "Isolated" -> ISOLATED;
                case "MergedWithPrevious" -> MERGED_WITH_PREVIOUS;
                case "MergedWithNext" -> MERGED_WITH_NEXT;
                case "Contiguous" -> CONTIGUOUS;
                default -> throw new IllegalArgumentException("unknown split behavior '" + name + "'");
            };
        }
    }

    private Splitter() {}

    /** Spans that cover a string in order: [start, end, isMatch] triples. */
    static final class Spans {
        int[] a = new int[48]; // [start, end, match] * count
        int count;

        void add(int start, int end, boolean match) {
            if (count * 3 + 3 > a.length) a = Arrays.copyOf(a, a.length * 2);
            a[count * 3] = start;
            a[count * 3 + 1] = end;
            a[count * 3 + 2] = match ? 1 : 0;
            count++;
        }
    }

    static Spans regexSpans(String s, Pattern p, boolean invert) {
        Spans spans = new Spans();
        Matcher m = p.matcher(s);
        int prev = 0;
        while (m.find()) {
            if (m.start() == m.end()) continue;
            if (prev != m.start()) spans.add(prev, m.start(), invert);
            spans.add(m.start(), m.end(), !invert);
            prev = m.end();
        }
        if (prev != s.length()) spans.add(prev, s.length(), invert);
        return spans;
    }

    static Spans literalSpans(String s, String literal, boolean invert) {
        Spans spans = new Spans();
        int prev = 0;
        if (!literal.isEmpty()) {
            for (int at = s.indexOf(literal); at >= 0; at = s.indexOf(literal, prev)) {
                if (prev != at) spans.add(prev, at, invert);
                spans.add(at, at + literal.length(), !invert);
                prev = at + literal.length();
            }
        }
        if (prev != s.length()) spans.add(prev, s.length(), invert);
        return spans;
    }

    /** Every code point that passes the test is a match of its own. */
    static Spans charSpans(String s, IntPredicate test) {
        Spans spans = new Spans();
        int prev = 0;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (test.test(cp)) {
                if (prev < i) spans.add(prev, i, false);
                spans.add(i, next, true);
                prev = next;
            }
            i = next;
        }
        if (prev < s.length()) spans.add(prev, s.length(), false);
        return spans;
    }

    /** Appends the parts of {@code s} to {@code out}. */
    static void split(String s, Spans spans, Behavior behavior, List<String> out) {
        int[] a = spans.a;
        int n = spans.count;
        switch (behavior) {
            case ISOLATED -> {
                for (int i = 0; i < n; i++) add(s, a[i * 3], a[i * 3 + 1], out);
            }
            case REMOVED -> {
                for (int i = 0; i < n; i++) if (a[i * 3 + 2] == 0) add(s, a[i * 3], a[i * 3 + 1], out);
            }
            case CONTIGUOUS -> {
                int start = -1, end = -1, prevMatch = 0;
                for (int i = 0; i < n; i++) {
                    int match = a[i * 3 + 2];
                    if (start >= 0 && match == prevMatch) {
                        end = a[i * 3 + 1];
                    } else {
                        if (start >= 0) add(s, start, end, out);
                        start = a[i * 3];
                        end = a[i * 3 + 1];
                    }
                    prevMatch = match;
                }
                if (start >= 0) add(s, start, end, out);
            }
            case MERGED_WITH_PREVIOUS -> {
                int start = -1, end = -1;
                boolean prevMatch = false;
                for (int i = 0; i < n; i++) {
                    boolean match = a[i * 3 + 2] == 1;
                    if (match && !prevMatch && start >= 0) {
                        end = a[i * 3 + 1];
                    } else {
                        if (start >= 0) add(s, start, end, out);
                        start = a[i * 3];
                        end = a[i * 3 + 1];
                    }
                    prevMatch = match;
                }
                if (start >= 0) add(s, start, end, out);
            }
            case MERGED_WITH_NEXT -> {
                // Walk backwards: a match joins the part that follows it.
                int[] parts = new int[n * 2];
                int count = 0;
                boolean prevMatch = false;
                for (int i = n - 1; i >= 0; i--) {
                    boolean match = a[i * 3 + 2] == 1;
                    if (match && !prevMatch && count > 0) {
                        parts[(count - 1) * 2] = a[i * 3];
                    } else {
                        parts[count * 2] = a[i * 3];
                        parts[count * 2 + 1] = a[i * 3 + 1];
                        count++;
                    }
                    prevMatch = match;
                }
                for (int i = count - 1; i >= 0; i--) add(s, parts[i * 2], parts[i * 2 + 1], out);
            }
        }
    }

    private static void add(String s, int start, int end, List<String> out) {
        if (end > start) out.add(s.substring(start, end));
    }
}
