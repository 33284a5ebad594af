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
    private final boolean empty;

    private record Candidate(String pattern, AddedToken token) {}

    /** @param patterns the string each token is matched as (its content, or its normalized content) */
    AddedTokenMatcher(List<AddedToken> tokens, List<String> patterns) {
        for (int i = 0; i < tokens.size(); i++) {
            String p = patterns.get(i);
            if (p.isEmpty()) continue;
            byFirstChar.computeIfAbsent(p.codePointAt(0), k -> new ArrayList<>()).add(new Candidate(p, tokens.get(i)));
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
        int offset = 0; // end of what has been emitted
        int i = 0;
        while (i < text.length()) {
            int cp = text.codePointAt(i);
            Candidate hit = null;
            List<Candidate> cands = byFirstChar.get(cp);
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
                continue;
            }
            int start = i, stop = i + hit.pattern.length();
            AddedToken t = hit.token;
            if (t.singleWord() && (wordCharBefore(text, start) || wordCharAfter(text, stop))) {
                i += Character.charCount(cp);
                continue;
            }
            if (t.lstrip()) {
                int s = start;
                while (s > offset && Chars.isWhiteSpace(text.codePointBefore(s))) s -= Character.charCount(text.codePointBefore(s));
                start = s;
            }
            if (t.rstrip()) {
                while (stop < text.length() && Chars.isWhiteSpace(text.codePointAt(stop))) stop += Character.charCount(text.codePointAt(stop));
            }
            if (start > offset) out.add(new Segment(text.substring(offset, start), -1, offset));
            out.add(new Segment(text.substring(start, stop), t.id(), start));
            offset = stop;
            i = stop;
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
