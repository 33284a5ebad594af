package dev.refusal4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Hook registrations by TransformerLens name or glob ({@code blocks.*.hook_resid_pre},
 * {@code *}). The model resolves them once per forward call into a table, so a point without
 * hooks costs one null check and a model without hooks costs nothing more.
 */
public final class Hooks {
    public static final Hooks NONE = new Hooks();

    public static final String EMBED = "hook_embed";
    public static final String RESID_PRE = "hook_resid_pre";
    public static final String ATTN_OUT = "hook_attn_out";
    public static final String RESID_MID = "hook_resid_mid";
    public static final String MLP_OUT = "hook_mlp_out";
    public static final String RESID_POST = "hook_resid_post";
    public static final String Z = "attn.hook_z";
    public static final String PATTERN = "attn.hook_pattern";
    public static final String FINAL_NORM = "ln_final.hook_normalized";

    /** Per-block points in the order they fire. */
    public static final String[] BLOCK_POINTS = {RESID_PRE, Z, PATTERN, ATTN_OUT, RESID_MID, MLP_OUT, RESID_POST};

    private record Entry(Pattern pattern, Consumer<Activation> fn) {}

    private final List<Entry> entries = new ArrayList<>();

    public static String blockName(int layer, String point) {
        return "blocks." + layer + "." + point;
    }

    /** Every hook point name of a model with {@code layers} blocks, in firing order. */
    public static List<String> allNames(int layers) {
        List<String> out = new ArrayList<>();
        out.add(EMBED);
        for (int l = 0; l < layers; l++) for (String p : BLOCK_POINTS) out.add(blockName(l, p));
        out.add(FINAL_NORM);
        return out;
    }

    /** Adds a hook on every point whose name matches {@code glob} ('*' matches any run of characters). */
    public Hooks add(String glob, Consumer<Activation> fn) {
        if (this == NONE) throw new UnsupportedOperationException("Hooks.NONE is immutable");
        entries.add(new Entry(globToRegex(glob), fn));
        return this;
    }

    /**
     * These hooks and, after them, {@code fn} on every point that any of {@code globs} names (once
     * per point, however many globs name it); this object is unchanged.
     */
    Hooks then(String[] globs, Consumer<Activation> fn) {
        Hooks out = new Hooks();
        out.entries.addAll(entries);
        StringBuilder any = new StringBuilder();
        for (String g : globs) any.append(any.isEmpty() ? "" : "|").append("(?:").append(globToRegex(g).pattern()).append(')');
        out.entries.add(new Entry(Pattern.compile(any.toString()), fn));
        return out;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The hooks for one point, combined in registration order, or null. */
    Consumer<Activation> resolve(String name) {
        Consumer<Activation> out = null;
        for (Entry e : entries) {
            if (e.pattern.matcher(name).matches()) out = out == null ? e.fn : out.andThen(e.fn);
        }
        return out;
    }

    static Pattern globToRegex(String glob) {
        StringBuilder sb = new StringBuilder();
        for (char ch : glob.toCharArray()) {
            if (ch == '*') sb.append(".*");
            else if (ch == '?') sb.append('.');
            else sb.append(Pattern.quote(String.valueOf(ch)));
        }
        return Pattern.compile(sb.toString());
    }
}
