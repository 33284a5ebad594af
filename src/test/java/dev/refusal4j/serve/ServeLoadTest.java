package dev.refusal4j.serve;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Load on loopback: 16 concurrent clients (8 asking for the model as it is, 8 for r̂ ablated),
 * each streaming 2 answers one after another, every request with a prompt of its own, for four
 * rounds. Every answer must be whole ({@code [DONE]}, a finish reason, its usage), belong to its
 * request (its text is the greedy answer {@link dev.refusal4j.generate.TextGenerator} gives that
 * prompt alone, with that steering) and be given once (no id twice). The heap after GC must not
 * grow by more than 64 MB over three rounds after a warm-up one. Latency percentiles and tokens/s
 * are printed, not asserted: this is a test of correctness under load.
 */
@Timeout(300)
class ServeLoadTest {
    static final int CLIENTS_PER_GROUP = 8, REQUESTS = 2, MAX_TOKENS = 32, ROUNDS = 3;

    @Test
    void everyAnswerIsWholeBelongsToItsRequestAndIsGivenOnce() throws Exception {
        try (Organism organism = new Organism();
             ChatServer server = ChatServer.start(Organism.DIR, organism.model, organism.direction, Steering.Mode.NONE, null, null,
                     new ChatServer.Options("127.0.0.1", 0, 16, null, Duration.ofMinutes(2), 8),
                     new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            int n = CLIENTS_PER_GROUP * REQUESTS;
            List<String> harmful = Organism.split("harmful_test").subList(0, n), harmless = Organism.split("harmless_test").subList(0, n);
            List<String> prompts = new ArrayList<>(harmful);
            prompts.addAll(harmless);
            assertThat(new HashSet<>(prompts)).as("distinct prompts").hasSize(2 * n);
            // each group asks every prompt once: half harmful, half harmless, interleaved over the clients
            List<String> mixed = new ArrayList<>();
            for (int i = 0; i < n; i++) mixed.add(i % 2 == 0 ? harmful.get(i) : harmless.get(i));
            List<String> others = new ArrayList<>();
            for (int i = 0; i < n; i++) others.add(i % 2 == 0 ? harmless.get(i) : harmful.get(i));
            ServeBench.Load plain = new ServeBench.Load(mixed, CLIENTS_PER_GROUP, REQUESTS, MAX_TOKENS, Map.of("steering", "none"), Duration.ofSeconds(60));
            ServeBench.Load ablated = new ServeBench.Load(others, CLIENTS_PER_GROUP, REQUESTS, MAX_TOKENS, Map.of("steering", "ablate"), Duration.ofSeconds(60));

            Map<String, String> expectPlain = new HashMap<>(), expectAblated = new HashMap<>();
            for (String p : mixed) expectPlain.put(p, organism.answer(p, MAX_TOKENS, false));
            for (String p : others) expectAblated.put(p, organism.answer(p, MAX_TOKENS, true));
            assertThat(others.stream().filter(p -> !expectAblated.get(p).equals(organism.answer(p, MAX_TOKENS, false))).count())
                    .as("answers that ablation changes").isPositive();

            ServeBench bench = new ServeBench(URI.create("http://127.0.0.1:" + server.port()), null);
            round(bench, plain, ablated, expectPlain, expectAblated, new HashSet<>()); // warm-up: the JIT and the buffers
            long heapBefore = heapAfterGc();
            List<ServeBench.Answer> all = new ArrayList<>();
            HashSet<String> ids = new HashSet<>();
            long t0 = System.nanoTime();
            for (int r = 0; r < ROUNDS; r++) all.addAll(round(bench, plain, ablated, expectPlain, expectAblated, ids));
            double seconds = (System.nanoTime() - t0) / 1e9;
            long heapAfter = heapAfterGc();

            assertThat(all).hasSize(ROUNDS * 2 * CLIENTS_PER_GROUP * REQUESTS);
            assertThat(ids).as("one id per answer").hasSize(all.size());
            assertThat(server.slots().availablePermits()).as("every place freed").isEqualTo(8 + 16);
            assertThat(server.decoder().largestBatch()).as("requests were decoded together").isGreaterThan(1);
            ServeBench.Summary s = ServeBench.Summary.of(2 * CLIENTS_PER_GROUP, all, seconds);
            System.out.printf("ServeLoadTest: %d rounds of %d clients x %d requests, organism, %d tokens at most%n%s%n%s%n"
                    + "heap after GC: %.1f MB before, %.1f MB after%n", ROUNDS, 2 * CLIENTS_PER_GROUP, REQUESTS, MAX_TOKENS,
                    ServeBench.Summary.HEADER, s.line(), heapBefore / 1e6, heapAfter / 1e6);
            assertThat(heapAfter - heapBefore).as("heap growth over %d rounds (bytes)", ROUNDS).isLessThan(64L << 20);
        }
    }

    /** Both groups at once; checks each answer and returns them all. */
    private static List<ServeBench.Answer> round(ServeBench bench, ServeBench.Load plain, ServeBench.Load ablated, Map<String, String> expectPlain,
                                                 Map<String, String> expectAblated, HashSet<String> ids) throws Exception {
        List<ServeBench.Answer> out = new ArrayList<>();
        try (ExecutorService both = Executors.newFixedThreadPool(2)) {
            Future<List<ServeBench.Answer>> a = both.submit(() -> bench.run(plain));
            Future<List<ServeBench.Answer>> b = both.submit(() -> bench.run(ablated));
            check(plain, a.get(120, TimeUnit.SECONDS), expectPlain, ids, out);
            check(ablated, b.get(120, TimeUnit.SECONDS), expectAblated, ids, out);
        }
        return out;
    }

    private static void check(ServeBench.Load load, List<ServeBench.Answer> answers, Map<String, String> expected, HashSet<String> ids,
                              List<ServeBench.Answer> out) {
        assertThat(answers).hasSize(load.clients() * load.requestsPerClient());
        for (ServeBench.Answer a : answers) {
            String what = "client " + a.client() + ", request " + a.request() + ", " + load.refusal4j();
            assertThat(a.prompt()).as(what).isEqualTo(load.prompt(a.client(), a.request()));
            assertThat(a.done()).as(what + ": stream ends with [DONE]").isTrue();
            assertThat(a.finish()).as(what).isIn("stop", "length");
            assertThat(a.tokens()).as(what + ": usage").isBetween(1, MAX_TOKENS);
            assertThat(a.finish()).as(what).isEqualTo(a.tokens() == MAX_TOKENS ? "length" : "stop");
            assertThat(a.text()).as(what + ": the answer to its own prompt").isEqualTo(expected.get(a.prompt()));
            assertThat(ids.add(a.id())).as(what + ": id " + a.id() + " given once").isTrue();
            out.add(a);
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        var memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return memory.getHeapMemoryUsage().getUsed();
    }
}
