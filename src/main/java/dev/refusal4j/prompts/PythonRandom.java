package dev.refusal4j.prompts;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Python's {@code random.Random}: MT19937 seeded the way {@code random.seed(int)} seeds it, with
 * {@code sample} and {@code shuffle} drawing exactly as CPython 3 does. With it, seed 42 picks
 * the same training, validation and test prompts as the paper's pipeline
 * ({@code random.seed(42)} then {@code random.sample(...)} per set, on one stream).
 */
public final class PythonRandom {
    private static final int N = 624, M = 397;
    private final int[] mt = new int[N];   // [624] generator state, unsigned 32-bit words
    private int index = N;

    public PythonRandom(long seed) {
        // random.seed(n) uses |n| split into 32-bit words, least significant first
        BigInteger v = BigInteger.valueOf(seed).abs();
        List<Integer> key = new ArrayList<>();
        do {
            key.add(v.intValue());
            v = v.shiftRight(32);
        } while (v.signum() != 0);
        initByArray(key.stream().mapToInt(Integer::intValue).toArray());
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1, j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) j = 0;
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
    }

    /** Next 32 random bits (MT19937 genrand_uint32), as an unsigned value in a long. */
    public long nextUint32() {
        if (index >= N) twist();
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
            mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
        }
        index = 0;
    }

    /** Python's {@code _randbelow(n)}: rejection sampling on {@code n.bit_length()} bits. */
    public int randBelow(int n) {
        if (n <= 0) throw new IllegalArgumentException("randBelow needs n > 0, got " + n);
        int bits = 32 - Integer.numberOfLeadingZeros(n);
        long r = nextUint32() >>> (32 - bits);
        while (r >= n) r = nextUint32() >>> (32 - bits);
        return (int) r;
    }

    /** Python's {@code random.sample(population, k)}, same draws, same order. */
    public <T> List<T> sample(List<T> population, int k) {
        int n = population.size();
        if (k < 0 || k > n) throw new IllegalArgumentException("sample larger than population or is negative");
        List<T> result = new ArrayList<>(k);
        int setSize = 21;   // CPython: small samples from large populations draw indices into a set
        if (k > 5) setSize += (int) Math.pow(4, Math.ceil(Math.log(k * 3) / Math.log(4)));
        if (n <= setSize) {
            List<T> pool = new ArrayList<>(population);
            for (int i = 0; i < k; i++) {
                int j = randBelow(n - i);
                result.add(pool.get(j));
                pool.set(j, pool.get(n - i - 1));
            }
        } else {
            Set<Integer> selected = new HashSet<>();
            for (int i = 0; i < k; i++) {
                int j = randBelow(n);
                while (selected.contains(j)) j = randBelow(n);
                selected.add(j);
                result.add(population.get(j));
            }
        }
        return result;
    }

    /** Python's {@code random.shuffle(list)} in place. */
    public <T> void shuffle(List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = randBelow(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
