package dev.refusal4j.tokenizer;

import java.util.Map;

/**
 * BERT's WordPiece: greedy longest-match-first; pieces after the first carry the continuation
 * prefix ("##"); a word with an unmatched rest, or longer than the limit, becomes unk.
 */
final class WordPieceModel implements Model {
    private final Map<String, Integer> vocab;
    private final String[] tokens; // [id] -> vocabulary string
    private final int unkId;
    private final String prefix;
    private final int maxChars;

    WordPieceModel(Map<String, Integer> vocab, String unk, String prefix, int maxChars) {
        this.vocab = vocab;
        int max = -1;
        for (int id : vocab.values()) max = Math.max(max, id);
        tokens = new String[max + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) tokens[e.getValue()] = e.getKey();
        Integer u = vocab.get(unk);
        if (u == null) throw new IllegalArgumentException("unk_token '" + unk + "' is not in the vocabulary");
        this.unkId = u;
        this.prefix = prefix;
        this.maxChars = maxChars;
    }

    @Override
    public void encode(String word, IntList out) {
        if (word.codePointCount(0, word.length()) > maxChars) {
            out.add(unkId);
            return;
        }
        IntList ids = new IntList(8);
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            int found = -1;
            while (end > start) {
                String sub = word.substring(start, end);
                if (start > 0) sub = prefix + sub;
                Integer id = vocab.get(sub);
                if (id != null) {
                    found = id;
                    break;
                }
                end = word.offsetByCodePoints(end, -1);
            }
            if (found < 0) {
                out.add(unkId);
                return;
            }
            ids.add(found);
            start = end;
        }
        for (int i = 0; i < ids.size(); i++) out.add(ids.get(i));
    }

    @Override
    public String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    @Override
    public int id(String token) {
        return vocab.getOrDefault(token, -1);
    }

    @Override
    public int size() {
        return tokens.length;
    }
}
