package dev.refusal4j.export;

import dev.refusal4j.Version;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.gguf.GgufWriter;

import java.util.Map;

/**
 * Activation addition as a llama.cpp control vector (GGUF, {@code --control-vector}).
 *
 * <p>Layer numbering. llama.cpp's loader puts tensor {@code direction.N} (N ≥ 1; N = 0 is rejected)
 * into its per-layer slot N, and each model graph adds slot il to the output of block il
 * (0-based, after the block's second residual add: the tensor llama.cpp calls {@code l_out-il}).
 * refusal4j adds at {@code blocks.l.hook_resid_pre}, the input of block l = the output of block
 * l − 1. So refusal4j layer l is llama.cpp's {@code direction.(l-1)}, and only l ≥ 2 can be expressed
 * (the embedding, l = 0, and the output of block 0, l = 1, are never steered by llama.cpp).
 *
 * <p>The file holds direction.1 .. direction.(B-1) contiguously (zeros below A-1, which add nothing) so
 * that tools iterating from 1 to {@code controlvector.layer_count} find every tensor;
 * {@code layer_count} is written as an int32, as llama.cpp's own cvector-generator does (its loader
 * ignores it and the model hint).
 *
 * <p>Sign: adding +r (the raw difference-in-means vector, not normalized) induces refusal; a negative
 * scale steers away from it.
 */
public final class ControlVector {
    private ControlVector() {}

    /**
     * The highest layer accepted when no model says how many it has: well above any published
     * transformer (Llama-3.1-405B has 126), and low enough that a typo such as 2-2000000000 is an
     * error instead of a file of two billion tensors.
     */
    public static final int MAX_LAYERS_WITHOUT_MODEL = 1024;

    /** HF model_type → llama.cpp general.architecture, for the default model hint. */
    public static final Map<String, String> LLAMA_CPP_ARCH = Map.of(
            "llama", "llama", "mistral", "llama", "qwen2", "qwen2", "qwen3", "qwen3",
            "gemma", "gemma", "gemma2", "gemma2", "phi3", "phi3", "qwen", "qwen");

    /** llama.cpp tensor index for a refusal4j resid_pre layer. */
    public static int llamaCppIndex(int refusal4jLayer) {
        if (refusal4jLayer < 2) {
            throw new IllegalArgumentException("layer " + refusal4jLayer + " cannot be steered by llama.cpp: refusal4j layer l "
                    + "(input of block l) is llama.cpp's direction.(l-1), which adds to the output of block l-1, and llama.cpp "
                    + "has no direction.0; use layers >= 2");
        }
        return refusal4jLayer - 1;
    }

    /**
     * Parses {@code --layers}: "A-B" or "A", refusal4j layers (resid_pre), inclusive; each must be a
     * layer of the model ({@code layerCount} of them, or {@link #MAX_LAYERS_WITHOUT_MODEL} when no
     * model is known) and one llama.cpp can steer (≥ 2). {@code source} names where the count comes
     * from, for the message.
     */
    public static int[] parseLayers(String s, int layerCount, String source) {
        int[] r = null;
        try {
            String[] p = s.trim().split("-", -1);
            if (p.length == 1) r = new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[0].trim())};
            else if (p.length == 2) r = new int[] {Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim())};
        } catch (NumberFormatException ignored) {
            // reported below
        }
        if (r == null || r[0] < 0 || r[1] < 0) throw new IllegalArgumentException("--layers '" + s + "' is not A-B or A (non-negative integers)");
        if (r[1] < r[0]) throw new IllegalArgumentException("--layers '" + s + "' is empty: " + r[1] + " < " + r[0]);
        if (r[1] >= layerCount) {
            throw new IllegalArgumentException("--layers '" + s + "': layer " + r[1] + " does not exist; " + source + " has layers 0-" + (layerCount - 1));
        }
        llamaCppIndex(r[0]);
        return r;
    }

    /** The control vector adding {@code scale}·r at resid_pre of refusal4j layers first..last (inclusive). */
    public static GgufWriter build(RefusalDirection dir, int first, int last, float scale, String modelHint) {
        if (last < first) throw new IllegalArgumentException("layer range " + first + "-" + last + " is empty");
        if (last >= MAX_LAYERS_WITHOUT_MODEL) throw new IllegalArgumentException("layer " + last + " is beyond " + (MAX_LAYERS_WITHOUT_MODEL - 1) + ", the most any model has");
        if (!Float.isFinite(scale)) throw new IllegalArgumentException("scale " + scale + " is not finite");
        int lo = llamaCppIndex(first), hi = llamaCppIndex(last);
        float[] r = dir.vector();
        float[] v = new float[r.length];
        for (int i = 0; i < r.length; i++) v[i] = scale * r[i];
        float[] zero = new float[r.length];
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "controlvector")
                .putUInt32("general.alignment", GgufWriter.DEFAULT_ALIGNMENT)
                .putString("controlvector.model_hint", modelHint)
                .putInt32("controlvector.layer_count", hi)
                .putString("refusal4j.tool", "refusal4j " + Version.VERSION)
                .putString("refusal4j.layers", first + "-" + last)
                .putFloat32("refusal4j.scale", scale)
                .putInt32("refusal4j.direction.layer", dir.layer())
                .putInt32("refusal4j.direction.position", dir.position())
                .putFloat32("refusal4j.direction.norm", (float) dir.norm());
        for (int n = 1; n <= hi; n++) w.addTensorF32("direction." + n, n >= lo ? v : zero, r.length);
        return w;
    }
}
