package dev.refusal4j.model;

import java.util.function.Consumer;

/** The hooks of one forward call, resolved per point (null where none), and the views they get. */
final class HookTable {
    final Consumer<Activation> embed, finalNorm;
    final Consumer<Activation>[] residPre, z, pattern, attnOut, residMid, mlpOut, residPost;
    private final int B, T, start;
    private final int[] pad;
    private final ModelConfig c;

    @SuppressWarnings("unchecked")
    HookTable(Hooks hooks, int layers, int B, int T, int[] pad, int start, ModelConfig c) {
        this.B = B;
        this.T = T;
        this.pad = pad;
        this.start = start;
        this.c = c;
        residPre = new Consumer[layers];
        z = new Consumer[layers];
        pattern = new Consumer[layers];
        attnOut = new Consumer[layers];
        residMid = new Consumer[layers];
        mlpOut = new Consumer[layers];
        residPost = new Consumer[layers];
        if (hooks.isEmpty()) {
            embed = finalNorm = null;
            return;
        }
        embed = hooks.resolve(Hooks.EMBED);
        finalNorm = hooks.resolve(Hooks.FINAL_NORM);
        for (int l = 0; l < layers; l++) {
            residPre[l] = hooks.resolve(Hooks.blockName(l, Hooks.RESID_PRE));
            z[l] = hooks.resolve(Hooks.blockName(l, Hooks.Z));
            pattern[l] = hooks.resolve(Hooks.blockName(l, Hooks.PATTERN));
            attnOut[l] = hooks.resolve(Hooks.blockName(l, Hooks.ATTN_OUT));
            residMid[l] = hooks.resolve(Hooks.blockName(l, Hooks.RESID_MID));
            mlpOut[l] = hooks.resolve(Hooks.blockName(l, Hooks.MLP_OUT));
            residPost[l] = hooks.resolve(Hooks.blockName(l, Hooks.RESID_POST));
        }
    }

    /** Calls fn (if any) on data[offset ..] of width = the point's width, then closes the view. */
    void fire(Consumer<Activation> fn, String point, int layer, float[] data, int offset) {
        if (fn == null) return;
        String name = layer < 0 ? point : Hooks.blockName(layer, point);
        int width = point.equals(Hooks.Z) ? c.qDim() : c.hidden;
        Activation a = new Activation(name, layer, B, T, width, pad, start);
        a.open(data, offset);
        try {
            fn.accept(a);
        } finally {
            a.close();
        }
    }

    /** Attention probabilities [batch, heads, T, S] (S = slots visible), one row per (b, h, t). */
    void firePattern(int layer, float[] data, int S) {
        Activation a = new Activation(Hooks.blockName(layer, Hooks.PATTERN), layer, B, c.heads * T, S, pad, start);
        a.open(data, 0);
        try {
            pattern[layer].accept(a);
        } finally {
            a.close();
        }
    }

}
