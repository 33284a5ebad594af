package dev.refusal4j.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-pair encoding with ranked merges, as Hugging Face's {@code BPE} model: a word starts as
 * its characters (or their UTF-8 byte tokens with byte_fallback, or unk), then the adjacent pair
 * with the lowest merge rank is merged, leftmost first, until no pair merges.
 */
final class BpeModel implements Model {
    private final Map<String, Integer> vocab;
    private final String[] tokens;           // [id] -> vocabulary string
    private final PairTable merges;
    private final int unkId;                 // -1 when there is no unk token
    private final boolean fuseUnk, byteFallback, ignoreMerges;
    private final String prefix, suffix;     // continuing_subword_prefix, end_of_word_suffix ("" when none)
    private final int[] byteIds = new int[256]; // [byte] -> id of "<0xXX>", -1 when absent
    private final int[] bmpIds = new int[65536]; // [char] -> id of that one-char token, -1 when absent
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final boolean splitAtSpaceMarks; // see SpaceMarkSplit
    private static final int CACHE_LIMIT = 200_000, CACHE_WORD_LIMIT = 256;

    /** @param merges pairs in rank order; a pair whose halves or merge are not in the vocabulary is an error */
    BpeModel(Map<String, Integer> vocab, List<String[]> merges, String unk, boolean fuseUnk, boolean byteFallback,
             boolean ignoreMerges, String prefix, String suffix) {
        this.vocab = vocab;
        int max = -1;
        for (int id : vocab.values()) max = Math.max(max, id);
        tokens = new String[max + 1];
        for (Map.Entry<String, Integer> e : vocab.entrySet()) tokens[e.getValue()] = e.getKey();
        this.prefix = prefix == null ? "" : prefix;
        this.suffix = suffix == null ? "" : suffix;
        this.merges = new PairTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            Integer a = vocab.get(m[0]), b = vocab.get(m[1]);
            String joined = m[0] + (m[1].startsWith(this.prefix) ? m[1].substring(this.prefix.length()) : m[1]);
            Integer c = vocab.get(joined);
            if (a == null || b == null || c == null) {
                String missing = a == null ? m[0] : b == null ? m[1] : joined;
                throw new IllegalArgumentException("merge " + (rank + 1) + " '" + m[0] + " " + m[1]
                        + "' uses '" + missing + "', which is not in the vocabulary");
            }
            this.merges.put(a, b, rank, c);
        }
        Integer u = unk == null ? null : vocab.get(unk);
        if (unk != null && u == null) throw new IllegalArgumentException("unk_token '" + unk + "' is not in the vocabulary");
        this.unkId = u == null ? -1 : u;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        splitAtSpaceMarks = SpaceMarkSplit.applies(vocab.keySet());
        java.util.Arrays.fill(bmpIds, -1);
        for (int c = 0; c < 65536; c++) {
            if (!Character.isSurrogate((char) c)) bmpIds[c] = vocab.getOrDefault(String.valueOf((char) c), -1);
        }
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

    @Override
    public void encode(String word, IntList out) {
        if (word.length() > SpaceMarkSplit.LONG_WORD && splitAtSpaceMarks && word.indexOf(SpaceMarkSplit.MARK, 1) > 0) {
            SpaceMarkSplit.encodeParts(word, part -> encodeWhole(part, out));
            return;
        }
        encodeWhole(word, out);
    }

    private void encodeWhole(String word, IntList out) {
        int[] cached = cache.get(word);
        if (cached == null) {
            cached = encodeUncached(word);
            if (word.length() <= CACHE_WORD_LIMIT) {
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(word, cached);
            }
        }
        out.addAll(cached);
    }

    private int[] encodeUncached(String word) {
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[]{whole};
        }
        IntList symbols = initialSymbols(word);
        return merge(symbols);
    }

    /** One symbol per character; unknown characters become byte tokens or (fused) unk. */
    private IntList initialSymbols(String word) {
        IntList symbols = new IntList(word.length());
        int pendingUnk = 0; // unk symbols held back for fusing
        for (int i = 0; i < word.length(); ) {
            int cp = word.codePointAt(i);
            int next = i + Character.charCount(cp);
            boolean plain = cp < 65536 && (prefix.isEmpty() || i == 0) && (suffix.isEmpty() || next < word.length());
            int id;
            String s = null;
            if (plain) { // the common case, without building a string
                id = bmpIds[cp];
            } else {
                s = word.substring(i, next);
                if (!prefix.isEmpty() && i > 0) s = prefix + s;
                if (!suffix.isEmpty() && next == word.length()) s = s + suffix;
                id = vocab.getOrDefault(s, -1);
            }
            int at = i;
            i = next;
            if (id >= 0) {
                if (pendingUnk > 0) symbols.add(unkId);
                pendingUnk = 0;
                symbols.add(id);
                continue;
            }
            if (s == null) s = word.substring(at, next);
            if (byteFallback && addBytes(s, symbols, pendingUnk)) {
                pendingUnk = 0;
                continue;
            }
            if (unkId >= 0) {
                if (pendingUnk > 0 && !fuseUnk) symbols.add(unkId);
                pendingUnk = 1;
            }
        }
        if (pendingUnk > 0) symbols.add(unkId);
        return symbols;
    }

    private boolean addBytes(String s, IntList symbols, int pendingUnk) {
        byte[] bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteIds[b & 0xFF] < 0) return false;
        if (pendingUnk > 0) symbols.add(unkId);
        for (byte b : bytes) symbols.add(byteIds[b & 0xFF]);
        return true;
    }

    private int[] merge(IntList initial) {
        int n = initial.size();
        if (n <= 1) return initial.toArray();
        int[] sym = initial.toArray();
        int[] prev = new int[n], next = new int[n];
        boolean[] gone = new boolean[n];
        MergeQueue queue = new MergeQueue();
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) push(queue, sym[i], sym[i + 1], i);
        }
        while (!queue.isEmpty()) {
            int pos = queue.topPosition(), newId = queue.topValue();
            queue.pop();
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            long m = merges.get(sym[pos], sym[right]);
            if (m < 0 || (int) m != newId) continue; // stale entry
            sym[pos] = newId;
            gone[right] = true;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) push(queue, sym[prev[pos]], sym[pos], prev[pos]);
            if (next[pos] >= 0) push(queue, sym[pos], sym[next[pos]], pos);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) out.add(sym[i]);
        return out.toArray();
    }

    private void push(MergeQueue queue, int left, int right, int pos) {
        long m = merges.get(left, right);
        if (m >= 0) queue.push((int) (m >>> 32), pos, (int) m);
    }
}
