package dev.refusal4j.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost-longest like the Aho-Corasick automaton of Hugging Face's
 * AddedVocabulary, then applies each token's single_word / lstrip / rstrip rule.
 */
final class AddedTokenMatcher {
    /** A part of the text: added token {@code id}, or plain {@code text} when id is -1. */
    record Segment(String text, int id, int start) {}

    private final Map<Integer, List<Candidate>> byFirstChar = new HashMap<>(); // [first code point] -> longest first
    private final java.util.BitSet firstChars = new java.util.BitSet(); // code points some pattern starts with
    private final boolean empty;

    private record Candidate(String pattern, AddedToken token) {}

    /** @param patterns the string each token is matched as (its content, or its normalized content) */
    AddedTokenMatcher(List<AddedToken> tokens, List<String> patterns) {
        for (int i = 0; i < tokens.size(); i++) {
            String p = patterns.get(i);
            if (p.isEmpty()) continue;
            byFirstChar.computeIfAbsent(p.codePointAt(0), k -> new ArrayList<>()).add(new Candidate(p, tokens.get(i)));
            firstChars.set(p.codePointAt(0));
        }
        for (List<Candidate> l : byFirstChar.values()) l.sort(Comparator.comparingInt((Candidate c) -> -c.pattern.length()));
        empty = byFirstChar.isEmpty();
    }

    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        if (empty) {
            out.add(new Segment(text, -1, 0));
            return out;
        }
        // 1. Leftmost-longest, non-overlapping matches of the patterns, as the automaton finds them.
        List<int[]> matches = new ArrayList<>();     // [start, end] of each pattern match
        List<AddedToken> matched = new ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            Candidate hit = null;
            List<Candidate> cands = firstChars.get(cp) ? byFirstChar.get(cp) : null; // no boxing for most chars
            if (cands != null) {
                for (Candidate c : cands) {
                    if (text.startsWith(c.pattern, i)) {
                        hit = c;
                        break;
                    }
                }
            }
            if (hit == null) {
                i += Character.charCount(cp);
            } else {
                matches.add(new int[]{i, i + hit.pattern.length()});
                matched.add(hit.token);
                i += hit.pattern.length();
            }
        }
        // 2. The token rules, applied match by match; a stripped white-space run may reach into the
        //    next match, which then still counts (Hugging Face behaves the same way).
        int offset = 0; // end of what has been emitted
        for (int m = 0; m < matches.size(); m++) {
            int start = matches.get(m)[0], stop = matches.get(m)[1];
            AddedToken t = matched.get(m);
            if (t.singleWord() && (wordCharBefore(text, start) || wordCharAfter(text, stop))) continue;
            if (t.lstrip()) {
                int s = start;
                while (s > 0 && Chars.isWhiteSpace(text.codePointBefore(s))) s -= Character.charCount(text.codePointBefore(s));
                start = Math.max(s, offset);
            }
            if (t.rstrip()) {
                while (stop < text.length() && Chars.isWhiteSpace(text.codePointAt(stop))) stop += Character.charCount(text.codePointAt(stop));
            }
            if (start > offset) out.add(new Segment(text.substring(offset, start), -1, offset));
            out.add(new Segment(text.substring(Math.min(start, stop), stop), t.id(), start));
            offset = stop;
        }
        if (offset < text.length()) out.add(new Segment(text.substring(offset), -1, offset));
        return out;
    }

    private static boolean wordCharBefore(String s, int at) {
        return at > 0 && Chars.isWordChar(s.codePointBefore(at));
    }

    private static boolean wordCharAfter(String s, int at) {
        return at < s.length() && Chars.isWordChar(s.codePointAt(at));
    }
}
