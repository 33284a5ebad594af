package dev.refusal4j.artifacts;

import dev.refusal4j.intervene.Condition;

/**
 * The completions the paper generates: the harmful test prompts unchanged, under ablation and with
 * r subtracted; the harmless test prompts unchanged and with r added. Each is one file,
 * {@code completions/<key>.jsonl}, in this order everywhere (generation, metrics, report).
 */
public enum CompletionSet {
    HARMFUL_BASELINE(true, Condition.BASELINE),
    HARMFUL_ABLATION(true, Condition.ABLATION),
    HARMFUL_ACTADD(true, Condition.ACTADD),
    HARMLESS_BASELINE(false, Condition.BASELINE),
    HARMLESS_ACTADD(false, Condition.ACTADD);

    public final boolean harmful;
    public final Condition condition;

    CompletionSet(boolean harmful, Condition condition) {
        this.harmful = harmful;
        this.condition = condition;
    }

    /** "harmful_baseline", …: the file name without extension and the key in metrics.json. */
    public String key() {
        return (harmful ? "harmful_" : "harmless_") + condition.key();
    }

    /** The multiple of r that activation addition adds: −1 on harmful prompts (the paper subtracts it), +1 on harmless ones. */
    public float actaddCoefficient() {
        return harmful ? -1f : 1f;
    }

    public static CompletionSet of(String key) {
        for (CompletionSet s : values()) if (s.key().equals(key)) return s;
        return null;
    }
}
