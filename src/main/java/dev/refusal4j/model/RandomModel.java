package dev.refusal4j.model;

import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Parallel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a model directory with random weights for a real config.json, so that benchmarks and
 * pipeline tests run on full-size architectures with nothing to download. Weights are uniform with
 * standard deviation 0.02 (norm weights near 1), seeded per tensor, streamed to disk in blocks.
 */
public final class RandomModel {
    private RandomModel() {}

    /** Tensor name -> shape for every weight the architecture needs. */
    public static Map<String, long[]> shapes(ModelConfig c) {
        TensorNames n = new TensorNames(c);
        Map<String, long[]> s = new LinkedHashMap<>();
        long d = c.hidden, q = c.qDim(), kv = c.kvDim(), ff = c.intermediate;
        s.put(n.embed(), new long[] {c.vocab, d});
        for (int l = 0; l < c.layers; l++) {
            s.put(n.attnNorm(l), new long[] {d});
            if (n.q(l).equals(n.k(l))) {
                s.put(n.q(l), new long[] {q + 2 * kv, d});
                if (c.qkvBias) s.put(n.bias(n.q(l)), new long[] {q + 2 * kv});
            } else {
                s.put(n.q(l), new long[] {q, d});
                s.put(n.k(l), new long[] {kv, d});
                s.put(n.v(l), new long[] {kv, d});
                if (c.qkvBias) {
                    s.put(n.bias(n.q(l)), new long[] {q});
                    s.put(n.bias(n.k(l)), new long[] {kv});
                    s.put(n.bias(n.v(l)), new long[] {kv});
                }
            }
            if (c.qkNorm) {
                s.put(n.qNorm(l), new long[] {c.headDim});
                s.put(n.kNorm(l), new long[] {c.headDim});
            }
            s.put(n.o(l), new long[] {d, q});
            if (c.oBias) s.put(n.bias(n.o(l)), new long[] {d});
            s.put(n.mlpNorm(l), new long[] {d});
            if (n.gate(l).equals(n.up(l))) s.put(n.gate(l), new long[] {2 * ff, d});
            else {
                s.put(n.gate(l), new long[] {ff, d});
                s.put(n.up(l), new long[] {ff, d});
            }
            s.put(n.down(l), new long[] {d, ff});
            if (c.sandwichNorms) {
                s.put(n.postAttnNorm(l), new long[] {d});
                s.put(n.postMlpNorm(l), new long[] {d});
            }
        }
        s.put(n.finalNorm(), new long[] {d});
        if (!c.tieEmbeddings) s.put(n.lmHead(), new long[] {c.vocab, d});
        return s;
    }

    /**
     * Writes config.json and model.safetensors into {@code dir} (created; written to a temporary
     * sibling and renamed when complete).
     */
    public static void write(Path configFile, Path dir, DType dtype, long seed) throws IOException {
        if (dtype.quantized()) throw new IllegalArgumentException("random models are written as safetensors, in F32, BF16 or F16, not " + dtype);
        ModelConfig c = ModelConfig.parse(configFile);
        Path parent = dir.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = AtomicFiles.newPartialFolder(dir);
        try {
            String cfg = dev.refusal4j.io.TextFiles.read(configFile);
            String dtName = switch (dtype) { case F32 -> "float32"; case BF16 -> "bfloat16"; case F16 -> "float16"; default -> throw new AssertionError(dtype); };
            cfg = cfg.replaceAll("\"torch_dtype\"\\s*:\\s*\"[a-z0-9]+\"", "\"torch_dtype\": \"" + dtName + "\"");
            Files.writeString(tmp.resolve("config.json"), cfg);
            List<SafetensorsWriter.Source> src = new ArrayList<>();
            for (var e : shapes(c).entrySet()) {
                boolean norm = e.getValue().length == 1 && e.getKey().contains("norm");
                src.add(random(e.getKey(), e.getValue(), dtype, seed ^ e.getKey().hashCode() * 0x9E3779B97F4A7C15L, norm));
            }
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), src, Map.of("format", "pt", "refusal4j", "random weights, seed " + seed));
            AtomicFiles.deleteRecursively(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            AtomicFiles.deleteRecursively(tmp);
        }
    }

    private static SafetensorsWriter.Source random(String name, long[] shape, DType dt, long seed, boolean norm) {
        return new SafetensorsWriter.Source() {
            public String name() { return name; }
            public String dtype() { return dt.name(); }
            public long[] shape() { return shape; }

            public void writeTo(FileChannel out) throws IOException {
                long n = 1;
                for (long x : shape) n *= x;
                final int block = 1 << 20;
                ByteBuffer buf = ByteBuffer.allocate((int) dt.bytes(block)).order(ByteOrder.LITTLE_ENDIAN);
                final float a = 0.02f * (float) Math.sqrt(3);
                for (long start = 0; start < n; start += block) {
                    int len = (int) Math.min(block, n - start);
                    final long blockSeed = seed + start;
                    final ByteBuffer b = buf;
                    Parallel.forRange(len, 1 << 16, (i0, i1) -> {
                        SplittableRandom r = new SplittableRandom(blockSeed * 31 + i0);
                        for (int i = i0; i < i1; i++) {
                            float v = (float) ((r.nextDouble() * 2 - 1) * a);
                            if (norm) v = 1f + v;
                            switch (dt) {
                                case F32 -> b.putFloat(i * 4, v);
                                case BF16 -> b.putShort(i * 2, DType.floatToBf16(v));
                                case F16 -> b.putShort(i * 2, DType.floatToF16(v));
                            }
                        }
                    });
                    buf.position(0).limit((int) dt.bytes(len));
                    while (buf.hasRemaining()) out.write(buf);
                    buf.clear();
                }
            }
        };
    }
}
