package dev.refusal4j.model;

import dev.refusal4j.io.TensorSource;
import dev.refusal4j.tensor.Matrix;

import java.util.HashSet;
import java.util.Set;

/**
 * All weights of a model, as views into the memory-mapped files (or, for a quantized GGUF, its
 * dequantized copies). Every tensor's shape is checked against the config, and a tensor the
 * architecture does not use is an error (so that a wrong architecture or a damaged checkpoint is
 * caught at load time, not as wrong outputs).
 */
public final class ModelWeights {
    public final Matrix embed;      // (vocab, d)
    public final Matrix lmHead;     // (vocab, d); the embedding itself when tied
    public final float[] finalNorm; // (d)
    public final LayerWeights[] layers;

    public ModelWeights(ModelConfig c, TensorSource f) {
        TensorNames n = new TensorNames(c);
        Set<String> used = new HashSet<>();
        Loader ld = new Loader(f, used);
        long d = c.hidden, q = c.qDim(), kv = c.kvDim(), ff = c.intermediate, hd = c.headDim;
        embed = ld.m(n.embed(), c.vocab, d);
        finalNorm = ld.v(n.finalNorm(), d);
        if (c.tieEmbeddings) {
            lmHead = embed;
            if (f.has(n.lmHead())) used.add(n.lmHead()); // some tied checkpoints store a copy; HF ignores it
        } else {
            lmHead = ld.m(n.lmHead(), c.vocab, d);
        }
        layers = new LayerWeights[c.layers];
        for (int l = 0; l < c.layers; l++) {
            LayerWeights w = new LayerWeights();
            w.attnNorm = ld.v(n.attnNorm(l), d);
            w.mlpNorm = ld.v(n.mlpNorm(l), d);
            switch (c.layout) {
                case LLAMA -> {
                    w.wq = ld.m(n.q(l), q, d);
                    w.wk = ld.m(n.k(l), kv, d);
                    w.wv = ld.m(n.v(l), kv, d);
                    if (c.qkvBias) {
                        w.bq = ld.v(n.bias(n.q(l)), q);
                        w.bk = ld.v(n.bias(n.k(l)), kv);
                        w.bv = ld.v(n.bias(n.v(l)), kv);
                    }
                    w.wGate = ld.m(n.gate(l), ff, d);
                    w.wUp = ld.m(n.up(l), ff, d);
                    if (c.mlpBias) {
                        w.bGate = ld.v(n.bias(n.gate(l)), ff);
                        w.bUp = ld.v(n.bias(n.up(l)), ff);
                    }
                }
                case PHI3, QWEN1 -> {
                    Matrix qkv = ld.m(n.q(l), q + 2 * kv, d); // rows [q | k | v]
                    w.wq = qkv.rowSlice(0, (int) q);
                    w.wk = qkv.rowSlice((int) q, (int) (q + kv));
                    w.wv = qkv.rowSlice((int) (q + kv), (int) (q + 2 * kv));
                    if (c.qkvBias) {
                        float[] b = ld.v(n.bias(n.q(l)), q + 2 * kv);
                        w.bq = java.util.Arrays.copyOfRange(b, 0, (int) q);
                        w.bk = java.util.Arrays.copyOfRange(b, (int) q, (int) (q + kv));
                        w.bv = java.util.Arrays.copyOfRange(b, (int) (q + kv), (int) (q + 2 * kv));
                    }
                    if (c.layout == ModelConfig.Layout.PHI3) {
                        Matrix gu = ld.m(n.gate(l), 2 * ff, d); // rows [gate | up]
                        w.wGate = gu.rowSlice(0, (int) ff);
                        w.wUp = gu.rowSlice((int) ff, (int) (2 * ff));
                    } else {
                        w.wGate = ld.m(n.gate(l), ff, d);
                        w.wUp = ld.m(n.up(l), ff, d);
                    }
                }
            }
            w.wo = ld.m(n.o(l), d, q);
            if (c.oBias) w.bo = ld.v(n.bias(n.o(l)), d);
            w.wDown = ld.m(n.down(l), d, ff);
            if (c.mlpBias) w.bDown = ld.v(n.bias(n.down(l)), d);
            if (c.qkNorm) {
                w.qNorm = ld.v(n.qNorm(l), hd);
                w.kNorm = ld.v(n.kNorm(l), hd);
            }
            if (c.sandwichNorms) {
                w.postAttnNorm = ld.v(n.postAttnNorm(l), d);
                w.postMlpNorm = ld.v(n.postMlpNorm(l), d);
            }
            layers[l] = w;
        }
        for (String name : f.names()) {
            if (used.contains(name) || ignorable(name)) continue;
            throw f.unexpected(name, "for " + c.architecture + " with " + c.layers + " layers");
        }
    }

    /** Buffers some exporters save that carry no weights. */
    private static boolean ignorable(String name) {
        return name.endsWith("rotary_emb.inv_freq");
    }

    private record Loader(TensorSource f, Set<String> used) {
        Matrix m(String name, long rows, long cols) {
            used.add(name);
            return f.matrix(name, rows, cols);
        }

        float[] v(String name, long n) {
            used.add(name);
            return f.floats(name, n);
        }
    }
}
