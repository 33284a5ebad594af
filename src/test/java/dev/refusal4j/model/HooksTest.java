package dev.refusal4j.model;

import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HooksTest {
    static final int[] IDS = {1, 9, 40, 2, 77, 3, 120};

    @Test
    void everyPointFiresInOrderWithItsWidth() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen3-hd32"))) {
            List<String> seen = new ArrayList<>();
            List<Integer> widths = new ArrayList<>();
            m.forward(Forward.of(IDS).hooks(new Hooks().add("*", a -> { seen.add(a.name); widths.add(a.width); })));
            assertThat(seen).containsExactlyElementsOf(Hooks.allNames(m.config.layers));
            assertThat(widths.get(seen.indexOf("blocks.0.attn.hook_z"))).isEqualTo(m.config.qDim()); // 128 != hidden 64
            assertThat(widths.get(seen.indexOf("blocks.1.attn.hook_pattern"))).isEqualTo(IDS.length);
        }
    }

    @Test
    void capturedValuesAreNotChangedByLaterInPlaceUpdates() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama"))) {
            float[][] pre = new float[1][];
            float[][] post = new float[1][];
            Activation[] leaked = new Activation[1];
            m.forward(Forward.of(IDS).hooks(new Hooks()
                    .add("blocks.0.hook_resid_pre", a -> { pre[0] = a.copy(); leaked[0] = a; })
                    .add("blocks.0.hook_resid_post", a -> post[0] = a.copy())).logits(Transformer.Logits.NONE));
            // resid_post = resid_pre + attn_out + mlp_out: the residual buffer was updated in place in between
            assertThat(pre[0]).isNotEqualTo(post[0]);
            assertThatThrownBy(() -> leaked[0].get(0, 0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("copy()");
        }
    }

    @Test
    void replacingAValueChangesTheOutputExactlyAsExpected() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama"))) {
            // Zeroing every attention and MLP output of every layer leaves the residual stream equal
            // to the embedding, so the final norm input is the embedding row of each token.
            float[][] fin = new float[1][];
            float[][] emb = new float[1][];
            m.forward(Forward.of(IDS).hooks(new Hooks()
                    .add("hook_embed", a -> emb[0] = a.copy())
                    .add("blocks.*.hook_attn_out", a -> java.util.Arrays.fill(a.array(), a.offset(), a.offset() + a.rows() * a.width, 0f))
                    .add("blocks.*.hook_mlp_out", a -> java.util.Arrays.fill(a.array(), a.offset(), a.offset() + a.rows() * a.width, 0f))
                    .add("blocks.1.hook_resid_post", a -> fin[0] = a.copy())).logits(Transformer.Logits.NONE));
            assertThat(fin[0]).containsExactly(emb[0]);
        }
    }

    @Test
    void runWithCacheKeepsWhatTheGlobsNameAsAHookWouldSeeIt() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "qwen3-hd32"))) {
            List<String> seen = new ArrayList<>();
            List<float[]> copies = new ArrayList<>();
            float[] logits = m.forward(Forward.of(IDS).hooks(new Hooks().add("blocks.1.*", a -> { seen.add(a.name); copies.add(a.copy()); })));
            ActivationCache run = m.runWithCache(Forward.of(IDS), "blocks.1.*", "blocks.1.hook_resid_pre", Hooks.EMBED);
            assertThat(run.logits()).containsExactly(logits);
            // each point once, in firing order, however many globs name it
            assertThat(run.names()).containsExactlyElementsOf(java.util.stream.Stream.concat(java.util.stream.Stream.of(Hooks.EMBED), seen.stream()).toList());
            for (int i = 0; i < seen.size(); i++) assertThat(run.get(seen.get(i))).as(seen.get(i)).containsExactly(copies.get(i));
            int T = IDS.length, d = m.config.hidden;
            assertThat(run.shape("blocks.1.hook_resid_pre")).containsExactly(1, T, d);
            assertThat(run.shape("blocks.1.attn.hook_z")).containsExactly(1, T, m.config.qDim());
            assertThat(run.shape("blocks.1.attn.hook_pattern")).containsExactly(1, m.config.heads, T, T);
            assertThat(run.get(1, Hooks.RESID_PRE)).isSameAs(run.get("blocks.1.hook_resid_pre"));
            assertThat(run.byLayer(Hooks.RESID_PRE)[0]).isNull();
            assertThatThrownBy(() -> run.get("blocks.0.hook_resid_pre")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.1.hook_resid_pre");
        }
    }

    @Test
    void runWithCacheCopiesWhatTheCallsOwnHooksLeaveAndNamesAGlobThatMatchesNothing() throws IOException {
        try (Transformer m = Transformer.load(Shared.path("golden", "llama"))) {
            Hooks zero = new Hooks().add("blocks.0.hook_attn_out", a -> java.util.Arrays.fill(a.array(), a.offset(), a.offset() + a.rows() * a.width, 0f));
            ActivationCache run = m.runWithCache(Forward.of(IDS).hooks(zero).logits(Transformer.Logits.NONE), "blocks.0.hook_attn_out");
            assertThat(run.get(0, Hooks.ATTN_OUT)).containsOnly(0f);
            assertThat(zero.isEmpty()).isFalse();
            assertThatThrownBy(() -> m.runWithCache(Forward.of(IDS), "blocks.*.resid_pre"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks.*.resid_pre").hasMessageContaining("blocks.0.hook_resid_pre");
        }
    }
}
