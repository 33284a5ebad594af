package dev.refusal4j.organism.bpe;

import dev.refusal4j.tokenizer.ByteLevel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Trains a byte-level BPE vocabulary (GPT-2 style) on a list of texts.
 * <p>
 * Texts are cut at special tokens, split with {@link PreTokenizer}, and each piece becomes a word of
 * byte-level characters. Starting from the 256 byte characters, the trainer repeatedly merges the most
 * frequent adjacent pair of symbols. Ties go to the pair with the smaller left id, then the smaller
 * right id, as in Hugging Face's trainer, so training is deterministic. Pair counts are updated
 * incrementally: a merge only revisits the words that contain the merged pair (an index from pair to
 * words), and a priority queue with lazy deletion finds the next best pair.
 */
public final class BpeTrainer {
    /** Chat special tokens, appended after the BPE vocabulary in this order. */
    public static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
    /** Pairs seen fewer times than this are not merged: they would only memorize single words. */
    public static final int MIN_PAIR_COUNT = 2;

    private BpeTrainer() {}

    /** Trains on {@code corpus} up to {@code vocabSize} tokens including {@link #SPECIAL_TOKENS}. */
    public static BpeModel train(List<String> corpus, int vocabSize) {
        int target = vocabSize - SPECIAL_TOKENS.size();
        if (target < 256) throw new IllegalArgumentException("vocab size " + vocabSize + " is below the 256 bytes plus " + SPECIAL_TOKENS.size() + " special tokens");

        // Alphabet: the 256 byte characters in code point order (GPT-2's own order).
        List<String> tokens = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        char[] alphabet = new char[256];
        for (int b = 0; b < 256; b++) alphabet[b] = ByteLevel.charOf(b);
        Arrays.sort(alphabet);
        for (char c : alphabet) {
            ids.put(String.valueOf(c), tokens.size());
            tokens.add(String.valueOf(c));
        }

        Words words = Words.count(corpus, ids);
        PairStats stats = new PairStats(words);
        List<String[]> merges = new ArrayList<>();
        while (tokens.size() < target) {
            long pair = stats.pollBest();
            if (pair < 0) break;
            int a = PairStats.left(pair), b = PairStats.right(pair);
            String merged = tokens.get(a) + tokens.get(b);
            Integer existing = ids.get(merged);
            int id = existing != null ? existing : tokens.size();
            if (existing == null) {
                ids.put(merged, id);
                tokens.add(merged);
            }
            merges.add(new String[] {tokens.get(a), tokens.get(b)});
            stats.merge(pair, id);
        }
        return new BpeModel(tokens, merges, SPECIAL_TOKENS);
    }

    /** Distinct pre-tokenized words as symbol id sequences, with their frequencies. */
    static final class Words {
        final int[][] symbols; // [word][symbol]; only the first length[word] entries are live
        final int[] length;    // [word]
        final long[] freq;     // [word]

        private Words(int[][] symbols, long[] freq) {
            this.symbols = symbols;
            this.freq = freq;
            this.length = new int[symbols.length];
            for (int w = 0; w < symbols.length; w++) length[w] = symbols[w].length;
        }

        static Words count(List<String> corpus, Map<String, Integer> byteIds) {
            Pattern specials = Pattern.compile(SPECIAL_TOKENS.stream().map(Pattern::quote).collect(Collectors.joining("|")));
            Map<String, long[]> counts = new HashMap<>();
            for (String text : corpus) {
                for (String part : specials.split(text, -1)) {
                    if (part.isEmpty()) continue;
                    for (String piece : PreTokenizer.split(part)) {
                        counts.computeIfAbsent(ByteLevel.encode(piece), k -> new long[1])[0]++;
                    }
                }
            }
            // Sorted so that word order, and with it every later step, is independent of hashing.
            String[] keys = counts.keySet().toArray(String[]::new);
            Arrays.sort(keys);
            int[][] symbols = new int[keys.length][];
            long[] freq = new long[keys.length];
            for (int w = 0; w < keys.length; w++) {
                String k = keys[w];
                symbols[w] = new int[k.length()];
                for (int i = 0; i < k.length(); i++) symbols[w][i] = byteIds.get(String.valueOf(k.charAt(i)));
                freq[w] = counts.get(k)[0];
            }
            return new Words(symbols, freq);
        }
    }

    /** Counts of adjacent symbol pairs, the words each pair occurs in, and a queue of candidates. */
    static final class PairStats {
        private record Candidate(long count, int left, int right) {}

        private final Words words;
        private final Map<Long, long[]> count = new HashMap<>();     // pair -> {weighted count}
        private final Map<Long, IntList> where = new HashMap<>();     // pair -> words that (may) contain it
        private final PriorityQueue<Candidate> queue = new PriorityQueue<>((x, y) ->
                x.count != y.count ? Long.compare(y.count, x.count)
                        : x.left != y.left ? Integer.compare(x.left, y.left)
                        : Integer.compare(x.right, y.right));
        private final int[] visited; // [word] last merge number that visited the word
        private int mergeNumber;

        PairStats(Words words) {
            this.words = words;
            this.visited = new int[words.symbols.length];
            Set<Long> seen = new HashSet<>();
            for (int w = 0; w < words.symbols.length; w++) {
                int[] s = words.symbols[w];
                for (int i = 0; i + 1 < words.length[w]; i++) {
                    long p = key(s[i], s[i + 1]);
                    count.computeIfAbsent(p, k -> new long[1])[0] += words.freq[w];
                    where.computeIfAbsent(p, k -> new IntList()).addUnlessLast(w);
                    seen.add(p);
                }
            }
            for (long p : seen) queue.add(new Candidate(count.get(p)[0], left(p), right(p)));
        }

        static long key(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }
        static int left(long pair) { return (int) (pair >>> 32); }
        static int right(long pair) { return (int) pair; }

        /** The best pair with at least {@link #MIN_PAIR_COUNT} occurrences, or -1 when none is left. */
        long pollBest() {
            while (!queue.isEmpty()) {
                Candidate c = queue.poll();
                long p = key(c.left, c.right);
                long[] current = count.get(p);
                if (current == null || current[0] != c.count) continue; // stale entry
                return c.count >= MIN_PAIR_COUNT ? p : -1;
            }
            return -1;
        }

        /** Replaces every occurrence of {@code pair} by symbol {@code id}, updating the counts. */
        void merge(long pair, int id) {
            mergeNumber++;
            int a = left(pair), b = right(pair);
            Map<Long, long[]> changed = new HashMap<>(); // pair -> net change of its count
            IntList list = where.get(pair);
            for (int n = 0; n < list.size; n++) {
                int w = list.values[n];
                if (visited[w] == mergeNumber) continue;
                visited[w] = mergeNumber;
                if (!contains(w, a, b)) continue;
                addPairs(w, -1, changed);
                mergeInWord(w, a, b, id);
                addPairs(w, +1, changed);
                int[] s = words.symbols[w];
                for (int i = 0; i + 1 < words.length[w]; i++) {
                    if (s[i] == id || s[i + 1] == id) where.computeIfAbsent(key(s[i], s[i + 1]), k -> new IntList()).addUnlessLast(w);
                }
            }
            for (var e : changed.entrySet()) {
                if (e.getValue()[0] == 0) continue; // this pair is already queued with its count
                long p = e.getKey();
                long c = count.get(p)[0];
                if (c > 0) {
                    queue.add(new Candidate(c, left(p), right(p)));
                } else {
                    count.remove(p);
                    where.remove(p);
                }
            }
        }

        private boolean contains(int w, int a, int b) {
            int[] s = words.symbols[w];
            for (int i = 0; i + 1 < words.length[w]; i++) if (s[i] == a && s[i + 1] == b) return true;
            return false;
        }

        private void addPairs(int w, int sign, Map<Long, long[]> changed) {
            int[] s = words.symbols[w];
            for (int i = 0; i + 1 < words.length[w]; i++) {
                long p = key(s[i], s[i + 1]);
                long delta = sign * words.freq[w];
                count.computeIfAbsent(p, k -> new long[1])[0] += delta;
                changed.computeIfAbsent(p, k -> new long[1])[0] += delta;
            }
        }

        /** Merges non-overlapping occurrences left to right, as BPE encoding does. */
        private void mergeInWord(int w, int a, int b, int id) {
            int[] s = words.symbols[w];
            int n = words.length[w], out = 0;
            for (int i = 0; i < n; i++) {
                if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                    s[out++] = id;
                    i++;
                } else {
                    s[out++] = s[i];
                }
            }
            words.length[w] = out;
        }
    }

    /** A growable list of ints. */
    static final class IntList {
        int[] values = new int[4];
        int size;

        void addUnlessLast(int v) {
            if (size > 0 && values[size - 1] == v) return;
            if (size == values.length) values = Arrays.copyOf(values, size * 2);
            values[size++] = v;
        }
    }
}
