package dev.refusal4j.chat.jinja;

/**
 * What one parse or render may use, so that a broken or hostile template fails with a
 * {@link JinjaException} of kind {@value #KIND} naming the limit, instead of filling the heap,
 * hanging or overflowing the stack. jinja2 itself bounds only {@code range()}; each limit here is far
 * above what a real chat template needs (each of the 213 shared Hugging Face cases renders in at
 * most 175 steps).
 */
public final class Limits {
    private Limits() {}

    /** The error kind, in the place where jinja2 names a Python exception class. */
    public static final String KIND = "ResourceLimitError";

    /** Characters of the rendered text and of any string built while rendering: 8 M is twice the text of a million-token context. */
    public static final int MAX_CHARS = 8_000_000;
    /** Items of a list built by {@code *}, {@code +}, a filter or iteration: no conversation has a million messages. */
    public static final int MAX_ITEMS = 1_000_000;
    /** Items of {@code range()}: jinja2's sandbox MAX_RANGE, with its message. */
    public static final int MAX_RANGE = 100_000;
    /** Work units of one render (statements, loop iterations, calls, items iterated or scanned): a few seconds of work at most. */
    public static final long MAX_STEPS = 20_000_000;
    /** Macro and recursive {@code loop()} calls in progress: about where Python's recursion limit stops jinja2 (~1000 frames, 4-5 per call). */
    public static final int MAX_CALL_DEPTH = 200;
    /** Nested blocks, brackets and operators in the source: jinja2's own recursive parser stops below ~70 nested brackets. */
    public static final int MAX_NESTING = 200;

    private static final ThreadLocal<long[]> STEPS = new ThreadLocal<>(); // [steps used] of the render on this thread

    static JinjaException exceeded(String what, long limit, String name) {
        return new JinjaException(KIND, what + " exceeds " + limit + " (limit " + name + " of refusal4j's template engine)");
    }

    /** Throws when a string of {@code n} characters would be over {@link #MAX_CHARS}; call before building it. */
    static void chars(long n) {
        if (n > MAX_CHARS) throw exceeded("a string of " + n + " characters", MAX_CHARS, "MAX_CHARS");
    }

    /** Throws when a list of {@code n} items would be over {@link #MAX_ITEMS}; call before building it. */
    static void items(long n) {
        if (n > MAX_ITEMS) throw exceeded("a list of " + n + " items", MAX_ITEMS, "MAX_ITEMS");
    }

    /** Throws when the rendered text, {@code n} characters so far, is over {@link #MAX_CHARS}. */
    static void output(long n) {
        if (n > MAX_CHARS) throw exceeded("the rendered text (" + n + " characters so far)", MAX_CHARS, "MAX_CHARS");
    }

    /** Counts {@code n} units of work of the render running on this thread (no-op outside a render). */
    static void step(long n) {
        long[] s = STEPS.get();
        if (s == null) return;
        s[0] += n;
        if (s[0] > MAX_STEPS) throw exceeded("the work of this render (steps: statements, loop iterations, calls, items iterated)", MAX_STEPS, "MAX_STEPS");
    }

    /** Starts counting steps for a render on this thread; the previous counter (if any) comes back from {@link #end}. */
    static long[] begin() {
        long[] prev = STEPS.get();
        STEPS.set(new long[1]);
        return prev;
    }

    static void end(long[] previous) {
        if (previous == null) STEPS.remove();
        else STEPS.set(previous);
    }
}
