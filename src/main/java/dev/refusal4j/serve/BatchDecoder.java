package dev.refusal4j.serve;

import dev.refusal4j.generate.StopStrings;

import dev.refusal4j.generate.Sampler;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.KvCache;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.StreamingDecoder;
import dev.refusal4j.tokenizer.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Continuous batching: the answers being generated are decoded together, one forward call per
 * step for each steering setting. A request joins at the next step and leaves when it is done
 * (a stop id, a stop string, its token limit, or its listener throwing to cancel it).
 *
 * <p>Requests are grouped by their {@link Steering}, since hooks apply to a whole forward call:
 * each group is one left-padded batch with one {@link KvCache}, and the groups take turns, one
 * step each. When requests join a group, only their prompts are prefilled (together, in a cache of
 * their own); the engine's cache keeps one timeline for the whole batch, so the running members'
 * keys and values and the newcomers' are then copied into a new cache, each row right-aligned
 * ({@link KvCache#gather}), and the next decode step carries on for all. A request that leaves
 * keeps a row that decodes a dummy token, read by nobody, until the next join or until its group
 * empties. Each request keeps its own sampler (its temperature, top-p and seed, drawn as a request
 * alone draws them), so greedy answers equal one-at-a-time answers.
 *
 * <p>The stop-string handling and streamed text are {@code generate.TextGenerator}'s: text is cut
 * before the first stop string, and text that could still become one is held back from the stream.
 */
final class BatchDecoder {
    /** The answer's text (cut before a stop string) and how many tokens were generated. */
    record Output(String text, int tokens) {}

    /** A request's side of its generation; both run on the decoding thread. */
    interface Listener {
        /** The request enters a batch; throwing refuses it (it timed out while waiting, the server stops). */
        void joined();

        /** After every token, the new text (never half a character; often empty); throwing cancels the request. */
        void text(String piece);
    }

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int[] stopIds;
    private final ExecutorService worker;
    private final int maxBatch;
    private final ArrayDeque<Seq> pending = new ArrayDeque<>(); // guarded by this
    private boolean running;                                    // guarded by this: a loop task is submitted or running
    private int live;                                           // guarded by this: requests in groups
    private final Map<Steering, Group> groups = new LinkedHashMap<>(); // the loop's own
    private volatile int largest;
    private volatile int joinedRunning;

    /**
     * @param worker   runs the decoding loop while there is work (one thread: the model is not shared)
     * @param maxBatch at most this many requests are decoded together; others wait for a place
     */
    BatchDecoder(Transformer model, Tokenizer tokenizer, int[] stopIds, ExecutorService worker, int maxBatch) {
        if (maxBatch < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + maxBatch);
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopIds = stopIds;
        this.worker = worker;
        this.maxBatch = maxBatch;
    }

    /** How many times requests joined a batch that was already generating. */
    int joinedRunning() {
        return joinedRunning;
    }

    /** The most requests decoded together so far (in one group's forward call). */
    int largestBatch() {
        return largest;
    }

    /**
     * Queues one generation. {@code prompt.length + maxNewTokens} must fit the model's context.
     *
     * @throws RejectedExecutionException when the worker has been shut down
     */
    CompletableFuture<Output> submit(int[] prompt, int maxNewTokens, SamplingOptions sampling, List<String> stopStrings, Steering steering,
                                     Supplier<Hooks> hooks, Listener listener) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt");
        for (int id : prompt) model.config.requireTokenId(id);
        Seq s = new Seq(prompt, maxNewTokens, sampling, stopStrings, steering, hooks, listener);
        synchronized (this) {
            pending.add(s);
            if (!running) {
                try {
                    worker.execute(this::loop);
                } catch (RejectedExecutionException e) {
                    pending.remove(s);
                    throw e;
                }
                running = true;
            }
        }
        return s.result;
    }

    /** Fails every request still waiting (after the worker has stopped for good). */
    void cancelWaiting() {
        List<Seq> left;
        synchronized (this) {
            left = new ArrayList<>(pending);
            pending.clear();
        }
        for (Seq s : left) s.fail(new CancellationException("the server is stopping"));
    }

    private void loop() {
        try {
            while (true) {
                List<Seq> joining = new ArrayList<>();
                synchronized (this) {
                    if (live == 0 && pending.isEmpty()) {
                        running = false;
                        return;
                    }
                    ArrayDeque<Seq> later = new ArrayDeque<>();
                    while (!pending.isEmpty() && live + joining.size() < maxBatch) {
                        Seq s = pending.poll();
                        if (!fits(s, groups.get(s.steering), joining)) later.add(s); // would overrun the context: after the group drains
                        else joining.add(s);
                    }
                    while (!later.isEmpty()) pending.addFirst(later.pollLast());
                    live += joining.size();
                }
                for (Seq s : joining) {
                    try {
                        s.listener.joined();
                        groups.computeIfAbsent(s.steering, k -> new Group(s.hooks.get())).join(s);
                    } catch (Throwable e) {
                        s.fail(e);
                        leave();
                    }
                }
                for (Iterator<Group> it = groups.values().iterator(); it.hasNext(); ) {
                    Group g = it.next();
                    g.step();
                    if (g.empty()) it.remove();
                }
            }
        } catch (Throwable e) {
            // the model failed: every running request fails with it, and waiting ones get a fresh loop
            for (Group g : groups.values()) g.failAll(e);
            groups.clear();
            synchronized (this) {
                live = 0;
                running = false;
                if (!pending.isEmpty()) {
                    try {
                        worker.execute(this::loop);
                        running = true;
                    } catch (RejectedExecutionException stopped) {
                        // close() cancels what waits
                    }
                }
            }
            if (e instanceof Error err && !(err instanceof OutOfMemoryError)) throw err; // a cache too large fails its batch, not the server
        }
    }

    /**
     * Whether {@code s}, prefilled with its group ({@code g}, null when there is none yet) and the
     * requests of its steering already joining, keeps every slot of the batch within the context.
     */
    private boolean fits(Seq s, Group g, List<Seq> joining) {
        List<Seq> all = new ArrayList<>(joining.stream().filter(r -> r.steering.equals(s.steering)).toList());
        if (g != null) {
            for (Seq r : g.rows) if (r != null) all.add(r);
            all.addAll(g.joined);
        }
        int longest = s.length(), remaining = s.remaining();
        for (Seq r : all) {
            longest = Math.max(longest, r.length());
            remaining = Math.max(remaining, r.remaining());
        }
        return longest + remaining <= model.config.maxPositions;
    }

    private synchronized void leave() {
        live--;
    }

    /** The requests with one steering setting: one batch, one cache. */
    private final class Group {
        private final Hooks hooks;
        private final List<Seq> rows = new ArrayList<>(); // the cache's rows; null: a request that has left
        private final List<Seq> joined = new ArrayList<>();
        private KvCache cache;
        private int[][] step;   // each row's next input: the last token it has not yet fed to the model
        private Forward decode;
        private float[] logits;

        Group(Hooks hooks) {
            this.hooks = hooks;
        }

        void join(Seq s) {
            joined.add(s);
        }

        boolean empty() {
            return joined.isEmpty() && rows.stream().allMatch(r -> r == null);
        }

        /** One token for every member: a decode step, after taking in those who joined. */
        void step() {
            if (!joined.isEmpty()) admit();
            logits = model.forward(decode);
            int V = model.config.vocab;
            for (int b = 0; b < rows.size(); b++) {
                Seq s = rows.get(b);
                if (s == null) continue;
                boolean more;
                try {
                    more = s.next(logits, b * V);
                } catch (Throwable e) {
                    s.fail(e);
                    if (e instanceof Error err && !(err instanceof StackOverflowError)) throw err;
                    rows.set(b, null);
                    leave();
                    continue;
                }
                if (more) {
                    step[b][0] = s.last();
                } else {
                    s.finish();
                    rows.set(b, null);
                    leave();
                }
            }
        }

        /**
         * Prefills the newcomers' prompts but for their last token, together in a cache of their
         * own, then gathers the members' rows and theirs into one cache (rows that left are dropped):
         * the running members' keys and values are copied, not computed again. Every row then has
         * one token to feed, and the next decode step gives every member its next token.
         */
        private void admit() {
            List<Seq> members = new ArrayList<>();
            List<KvCache.Row> kv = new ArrayList<>();
            for (int b = 0; b < rows.size(); b++) {
                if (rows.get(b) == null) continue;
                members.add(rows.get(b));
                kv.add(new KvCache.Row(cache, b));
            }
            if (!members.isEmpty()) joinedRunning++;
            KvCache fresh = prefill(joined);
            int i = 0;
            for (Seq s : joined) {
                members.add(s);
                kv.add(new KvCache.Row(s.prompt.length > 1 ? fresh : null, s.prompt.length > 1 ? i++ : 0));
            }
            joined.clear();
            int B = members.size(), longest = 0, remaining = 0;
            for (Seq s : members) {
                longest = Math.max(longest, s.length() - 1);
                remaining = Math.max(remaining, s.remaining());
            }
            // within the context: fits() let them join
            cache = longest == 0 ? model.newCache(B, remaining) : KvCache.gather(kv, longest + remaining);
            step = new int[B][1];
            for (int b = 0; b < B; b++) {
                Seq s = members.get(b);
                step[b][0] = s.count == 0 ? s.prompt[s.prompt.length - 1] : s.last();
            }
            rows.clear();
            rows.addAll(members);
            largest = Math.max(largest, B);
            decode = Forward.of(step).cache(cache).hooks(hooks).logits(Transformer.Logits.LAST).into(new float[B * model.config.vocab]);
        }

        /** The prompts of {@code newcomers} longer than one token, but for their last token, in one left-padded cache (null: none). */
        private KvCache prefill(List<Seq> newcomers) {
            List<int[]> prompts = new ArrayList<>();
            for (Seq s : newcomers) if (s.prompt.length > 1) prompts.add(s.prompt);
            if (prompts.isEmpty()) return null;
            int T = 0;
            for (int[] p : prompts) T = Math.max(T, p.length - 1);
            int[][] tokens = new int[prompts.size()][T];
            int[] pad = new int[prompts.size()];
            for (int b = 0; b < prompts.size(); b++) {
                int[] p = prompts.get(b);
                pad[b] = T - (p.length - 1);
                Arrays.fill(tokens[b], 0, pad[b], p[0]); // padding id is irrelevant: masked out
                System.arraycopy(p, 0, tokens[b], pad[b], p.length - 1);
            }
            KvCache c = model.newCache(prompts.size(), T);
            model.forward(Forward.of(tokens).padding(pad).cache(c).hooks(hooks).logits(Transformer.Logits.NONE));
            return c;
        }

        void failAll(Throwable e) {
            for (Seq s : rows) if (s != null) s.fail(e);
            for (Seq s : joined) s.fail(e);
        }
    }

    /** One request: its tokens so far, its sampler, and its text. */
    private final class Seq {
        final int[] prompt;
        final int maxNew;
        final List<String> stops;
        final Steering steering;
        final Supplier<Hooks> hooks;
        final Listener listener;
        final Sampler sampler;
        final CompletableFuture<Output> result = new CompletableFuture<>();
        final int[] generated;
        int count;
        final StreamingDecoder dec = new StreamingDecoder(tokenizer, true);
        final StringBuilder text = new StringBuilder();
        int emitted;
        boolean cut;

        Seq(int[] prompt, int maxNew, SamplingOptions sampling, List<String> stops, Steering steering, Supplier<Hooks> hooks, Listener listener) {
            SamplingOptions.requireMaxNewTokens(maxNew);
            this.prompt = prompt;
            this.maxNew = maxNew;
            this.stops = stops == null ? List.of() : stops;
            this.steering = steering;
            this.hooks = hooks;
            this.listener = listener;
            this.sampler = new Sampler(sampling, model.config.vocab, 0); // stream 0: the draws of a request generated alone
            for (int id : prompt) sampler.observe(id);
            this.generated = new int[maxNew];
        }

        /** Its prompt and what it has generated: one more than its slots in the cache, since the last is fed at the next step. */
        int length() {
            return prompt.length + count;
        }

        int remaining() {
            return maxNew - count;
        }

        int last() {
            return generated[count - 1];
        }

        /** Samples its next token; false when it is done. */
        boolean next(float[] logits, int off) {
            int id = sampler.next(logits, off);
            if (contains(stopIds, id)) return false;
            generated[count++] = id;
            sampler.observe(id);
            text.append(dec.next(id));
            int stopAt = StopStrings.first(text, stops);
            if (stopAt >= 0) {
                text.setLength(stopAt);
                cut = true;
            }
            int safe = cut ? text.length() : text.length() - StopStrings.holdBack(text, stops);
            listener.text(safe > emitted ? text.substring(emitted, safe) : "");
            emitted = Math.max(emitted, safe);
            return !cut && count < maxNew;
        }

        void finish() {
            if (!cut) text.append(dec.flush());
            try {
                if (text.length() > emitted) listener.text(text.substring(emitted));
            } catch (Throwable e) {
                fail(e);
                return;
            }
            result.complete(new Output(text.toString(), count));
        }

        void fail(Throwable e) {
            // wrapped, so that get() reports a cancellation as the cause of an ExecutionException, as a FutureTask does
            result.completeExceptionally(new CompletionException(e));
        }
    }

    private static boolean contains(int[] ids, int id) {
        if (ids != null) for (int s : ids) if (s == id) return true;
        return false;
    }

}
