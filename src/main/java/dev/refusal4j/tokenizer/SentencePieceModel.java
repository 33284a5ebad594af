package dev.refusal4j.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece's BPE: start from the characters, repeatedly merge the adjacent pair whose
 * concatenation is a vocabulary piece with the highest score (leftmost among equals), then map
 * each symbol to its piece, its UTF-8 byte pieces (byte_fallback), or unk. llama.cpp's "llama"
 * (SPM) vocabulary encodes the same way.
 */
final class SentencePieceModel implements Model {
    private final String[] pieces;           // [id] -> piece
    private final Map<String, Integer> ids;  // piece -> id, all pieces
    private final Map<String, Integer> mergeable; // pieces a merge may produce (normal and user-defined)
    private final int[] rank;                // [id] -> position of its score in descending order
    private final int unkId;
    private final int[] byteIds = new int[256]; // [byte] -> id of "<0xXX>", -1 without byte fallback
    private final boolean splitAtSpaceMarks; // see SpaceMarkSplit
    private final Map<String, int[]> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_LIMIT = 200_000;

    /**
     * @param types SentencePiece piece types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
     */
    SentencePieceModel(String[] pieces, float[] scores, int[] types, int unkId, boolean byteFallback) {
        this.pieces = pieces;
        ids = new HashMap<>(pieces.length * 2);
        mergeable = new HashMap<>(pieces.length * 2);
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
            if (types[i] == 1 || types[i] == 4) mergeable.putIfAbsent(pieces[i], i);
        }
        Integer[] order = new Integer[pieces.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(scores[b], scores[a]));
        rank = new int[pieces.length];
        for (int r = 0, i = 0; i < order.length; i++) {
            if (i > 0 && scores[order[i]] != scores[order[i - 1]]) r = i;
            rank[order[i]] = r;
        }
        this.unkId = unkId;
        splitAtSpaceMarks = SpaceMarkSplit.applies(mergeable.keySet());
        Arrays.fill(byteIds, -1);
        if (byteFallback) {
            for (int i = 0; i < pieces.length; i++) {
                if (types[i] == 6) {
                    int b = Decoder.byteToken(pieces[i]);
                    if (b >= 0) byteIds[b] = i;
                }
            }
        }
    }

    @Override
    public void encode(String word, IntList out) {
        if (word.length() > SpaceMarkSplit.LONG_WORD && splitAtSpaceMarks && word.indexOf(SpaceMarkSplit.MARK, 1) > 0) {
            SpaceMarkSplit.encodeParts(word, part -> encodeWhole(part, out));
        } else {
            encodeWhole(word, out);
        }
    }

    private void encodeWhole(String word, IntList out) {
        if (word.length() > SpaceMarkSplit.LONG_WORD) {
            merge(word, out);
            return;
        }
        int[] ids = cache.get(word);
        if (ids == null) {
            IntList one = new IntList(word.length());
            merge(word, one);
            ids = one.toArray();
            if (cache.size() >= CACHE_LIMIT) cache.clear();
            cache.put(word, ids);
        }
        for (int id : ids) out.add(id);
    }

    private void merge(String word, IntList out) {
        int n = word.codePointCount(0, word.length());
        int[] start = new int[n + 1];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            at += Character.charCount(word.codePointAt(at));
        }
        start[n] = word.length();
        int[] end = new int[n], prev = new int[n], next = new int[n];
        boolean[] gone = new boolean[n];
        MergeQueue queue = new MergeQueue();
        for (int i = 0; i < n; i++) {
            end[i] = start[i + 1];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        for (int i = 0; i + 1 < n; i++) push(queue, word, start[i], end[i + 1], i);
        while (!queue.isEmpty()) {
            int pos = queue.topPosition(), id = queue.topValue();
            queue.pop();
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            Integer now = mergeable.get(word.substring(start[pos], end[right]));
            if (now == null || now != id) continue; // stale: a side has changed since
            end[pos] = end[right];
            gone[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) push(queue, word, start[prev[pos]], end[pos], prev[pos]);
            if (next[pos] >= 0) push(queue, word, start[pos], end[next[pos]], pos);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) emit(word.substring(start[i], end[i]), out);
    }

    private void push(MergeQueue queue, String word, int from, int to, int pos) {
        Integer id = mergeable.get(word.substring(from, to));
        if (id != null) queue.push(rank[id], pos, id);
    }

    private void emit(String symbol, IntList out) {
        Integer id = ids.get(symbol);
        if (id != null) {
            out.add(id);
            return;
        }
        byte[] bytes = symbol.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        boolean allBytes = true;
        for (byte b : bytes) allBytes &= byteIds[b & 0xFF] >= 0;
        if (allBytes) {
            for (byte b : bytes) out.add(byteIds[b & 0xFF]);
        } else if (out.size() == 0 || out.get(out.size() - 1) != unkId) {
            out.add(unkId); // consecutive unknowns fuse into one unk, as Hugging Face's fuse_unk
        }
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
