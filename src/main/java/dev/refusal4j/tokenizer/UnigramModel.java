package dev.refusal4j.tokenizer;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SentencePiece's unigram model as Hugging Face runs it: the segmentation with the highest total
 * piece score (Viterbi over code-point boundaries; a character no piece starts with costs the
 * lowest score minus 10 and becomes unk); consecutive unknowns fuse into one unk; a segment that
 * is not a piece falls back to its UTF-8 byte pieces when byte_fallback is on.
 */
final class UnigramModel implements Model {
    private static final double UNK_PENALTY = 10.0;

    private final String[] pieces;          // [id] -> piece
    private final double[] scores;          // [id] -> log probability
    private final Map<String, Integer> ids;
    private final int unkId, maxPieceChars;
    private final double unkScore;
    private final boolean byteFallback;
    private final int[] byteIds = new int[256]; // [byte] -> id of "<0xXX>", -1 when absent
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    UnigramModel(String[] pieces, double[] scores, int unkId, boolean byteFallback) {
        if (unkId < 0 || unkId >= pieces.length) throw new IllegalArgumentException("unk_id " + unkId + " is outside the vocabulary");
        this.pieces = pieces;
        this.scores = scores;
        this.unkId = unkId;
        this.byteFallback = byteFallback;
        ids = new HashMap<>(pieces.length * 2);
        double min = Double.POSITIVE_INFINITY;
        int maxLen = 1;
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
            min = Math.min(min, scores[i]);
            maxLen = Math.max(maxLen, pieces[i].length());
        }
        unkScore = min - UNK_PENALTY;
        maxPieceChars = maxLen;
        for (int b = 0; b < 256; b++) byteIds[b] = ids.getOrDefault(String.format("<0x%02X>", b), -1);
    }

    @Override
    public void encode(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            IntList ids = new IntList(word.length());
            viterbi(word, ids);
            cached = ids.toArray();
            if (word.length() <= SpaceMarkSplit.LONG_WORD) {
                if (cache.size() >= 200_000) cache.clear();
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private void viterbi(String s, IntList out) {
        int n = s.length();
        double[] best = new double[n + 1];  // [end] best total score of s[0, end)
        int[] from = new int[n + 1];        // [end] start of the last piece on that path, -1 unreached
        int[] idAt = new int[n + 1];        // [end] id of that last piece
        java.util.Arrays.fill(from, -1);
        from[0] = 0;
        for (int start = 0; start < n; ) {
            int charLen = Character.charCount(s.codePointAt(start));
            boolean singleChar = false;
            for (int end = start + 1; end <= Math.min(n, start + maxPieceChars); end++) {
                Integer id = ids.get(s.substring(start, end));
                if (id == null) continue;
                double score = best[start] + scores[id];
                if (from[end] < 0 || score > best[end]) {
                    best[end] = score;
                    from[end] = start;
                    idAt[end] = id;
                }
                if (end - start == charLen) singleChar = true;
            }
            if (!singleChar) {
                int end = start + charLen;
                double score = best[start] + unkScore;
                if (from[end] < 0 || score > best[end]) {
                    best[end] = score;
                    from[end] = start;
                    idAt[end] = unkId;
                }
            }
            start += charLen;
        }
        // Walk back, fusing runs of unk into one segment.
        java.util.ArrayList<String> segments = new java.util.ArrayList<>();
        int end = n, unkEnd = -1;
        while (end > 0) {
            int start = from[end];
            if (idAt[end] == unkId) {
                if (unkEnd < 0) unkEnd = end;
            } else {
                if (unkEnd >= 0) segments.add(s.substring(end, unkEnd));
                unkEnd = -1;
                segments.add(s.substring(start, end));
            }
            end = start;
        }
        if (unkEnd >= 0) segments.add(s.substring(0, unkEnd));
        for (int i = segments.size() - 1; i >= 0; i--) emit(segments.get(i), out);
    }

    private void emit(String segment, IntList out) {
        Integer id = ids.get(segment);
        if (id != null) {
            out.add(id);
            return;
        }
        if (byteFallback) {
            byte[] bytes = segment.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            boolean all = true;
            for (byte b : bytes) all &= byteIds[b & 0xFF] >= 0;
            if (all) {
                for (byte b : bytes) out.add(byteIds[b & 0xFF]);
                return;
            }
        }
        out.add(unkId);
    }

    @Override
    public String token(int id) {
        return id >= 0 && id < pieces.length ? pieces[id] : null;
    }

    @Override
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    @Override
    public int size() {
        return pieces.length;
    }
}
