package dev.refusal4j.bench;

import dev.refusal4j.testutil.HfToGguf;
import java.nio.file.Path;

/**
 * Writes a Hugging Face folder (such as bench's random-weight model) as a GGUF of one type, for
 * {@code refusal4j bench --model FILE.gguf}: {@code WriteBenchGguf HF_DIR TYPE OUT.gguf}, TYPE one
 * of {@link HfToGguf.Type} (Q8_0 by ggml's reference quantizer; Q4_0, Q4_K, Q6_K as random blocks,
 * which is what a speed measurement needs).
 */
public final class WriteBenchGguf {
    private WriteBenchGguf() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 3) throw new IllegalArgumentException("usage: WriteBenchGguf HF_DIR TYPE OUT.gguf");
        HfToGguf.of(Path.of(args[0])).type(HfToGguf.Type.valueOf(args[1])).write(Path.of(args[2]));
    }
}
