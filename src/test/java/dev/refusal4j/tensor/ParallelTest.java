package dev.refusal4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnceForManySizesAndGrains() {
        for (int n : new int[] {1, 2, 3, 7, 8, 9, 100, 1001, 65537}) {
            for (int grain : new int[] {1, 3, 64, 5000}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                for (int rep = 0; rep < 20; rep++) {
                    Parallel.forRange(n, grain, (from, to) -> {
                        assertThat(from).isLessThan(to);
                        for (int i = from; i < to; i++) hits.incrementAndGet(i);
                    });
                }
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("n=%d grain=%d index %d", n, grain, i).isEqualTo(20);
            }
        }
    }

    @Test
    void nestedCallsRunInlineAndComplete() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 64);
        Parallel.forRange(64, 1, (a, b) -> {
            for (int i = a; i < b; i++) {
                int row = i;
                Parallel.forRange(64, 1, (c, d) -> { for (int j = c; j < d; j++) hits.incrementAndGet(row * 64 + j); });
            }
        });
        for (int i = 0; i < 64 * 64; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void anExceptionInABodyReachesTheCallerAndThePoolStaysUsable() {
        assertThatThrownBy(() -> Parallel.forRange(1000, 1, (a, b) -> {
            if (a <= 500 && 500 < b) throw new IllegalStateException("chunk with 500");
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk with 500");
        AtomicIntegerArray hits = new AtomicIntegerArray(1000);
        Parallel.forRange(1000, 1, (a, b) -> { for (int i = a; i < b; i++) hits.incrementAndGet(i); });
        for (int i = 0; i < 1000; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void callsFromSeveralThreadsAtOnceAllComplete() throws InterruptedException {
        int threads = 4, n = 10_000;
        AtomicIntegerArray hits = new AtomicIntegerArray(threads * n);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int base = t * n;
            ts[t] = new Thread(() -> {
                for (int rep = 0; rep < 50; rep++) Parallel.forRange(n, 16, (a, b) -> { for (int i = a; i < b; i++) hits.incrementAndGet(base + i); });
            });
            ts[t].start();
        }
        for (Thread t : ts) t.join();
        for (int i = 0; i < threads * n; i++) assertThat(hits.get(i)).isEqualTo(50);
    }

    @Test
    void theThreadCountComesFromTheEnvironmentVariableOrTheProcessors() {
        assertThat(Parallel.threads(null, 8)).isEqualTo(8);
        assertThat(Parallel.threads(" ", 8)).isEqualTo(8);
        assertThat(Parallel.threads("3", 8)).isEqualTo(3);
        assertThat(Parallel.threads(" 12 ", 8)).isEqualTo(12);
        for (String bad : new String[] {"0", "-2", "two", "1.5"}) {
            assertThatThrownBy(() -> Parallel.threads(bad, 8)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("REFUSAL4J_THREADS=" + bad);
        }
    }
}
