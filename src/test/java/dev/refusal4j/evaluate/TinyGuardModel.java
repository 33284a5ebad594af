package dev.refusal4j.evaluate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A one-layer Llama model folder that answers like a guard whose whole policy is the word "bomb":
 * given any prompt that ends in "]" (as Llama Guard 2's prompt ends in "[/INST]"), it writes
 * {@code safe} when the conversation never says "bomb", and {@code unsafe⏎S10} when it does.
 * <p>
 * The tokenizer is byte-level BPE with Llama 3's BOS/EOS names and post-processor (BOS added by
 * TemplateProcessing): ids 0–255 are bytes, the merges make "bomb" one token, and "safe" and
 * "unsafe" are single vocabulary tokens for the model to write. The weights are set by hand, each
 * residual dimension one feature:
 * <ul>
 *   <li>the embedding is one-hot on a feature per token kind (other, "]", "bomb", "safe", "unsafe",
 *       "\n", "S", "1", "0");</li>
 *   <li>attention has zero queries and keys, so it averages all earlier positions; the value reads the
 *       "bomb" feature and writes a "bomb seen" feature (zero when the word never occurs);</li>
 *   <li>the MLP (SwiGLU, one unit) multiplies "current token is ]" by "bomb seen" into a vote;</li>
 *   <li>the head is a bigram table — "]"→safe, safe→EOS, unsafe→"\n"→S→1→0→EOS — plus the vote,
 *       weighted far above the table, for "unsafe".</li>
 * </ul>
 */
public final class TinyGuardModel {
    private TinyGuardModel() {}

    static final int BO = 256, BOM = 257, BOMB = 258, SAFE = 259, UNSAFE = 260, BOS = 261, EOS = 262, VOCAB = 263;
    static final int D = 16;
    // residual features
    private static final int OTHER = 0, BRACKET = 1, TRIGGER = 2, F_SAFE = 3, F_UNSAFE = 4, NL = 5, S = 6, ONE = 7, ZERO = 8,
            SEEN = 10, VOTE = 11;

    /** The folder with Llama Guard 2's chat template in tokenizer_config.json (the test resource's). */
    public static Path withGuardTemplate(Path dir) throws IOException {
        write(dir);
        try (InputStream in = TinyGuardModel.class.getResourceAsStream("/evaluate/llama-guard-2/tokenizer_config.json")) {
            Files.write(dir.resolve("tokenizer_config.json"), in.readAllBytes());
        }
        return dir;
    }

    /** The folder with a tokenizer_config.json that names the special tokens and has no chat template. */
    static Path withoutTemplate(Path dir) throws IOException {
        write(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<|begin_of_text|>\", \"eos_token\": \"<|end_of_text|>\", \"tokenizer_class\": \"PreTrainedTokenizerFast\"}");
        return dir;
    }

    private static void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "intermediate_size": 1,
                 "num_hidden_layers": 1, "num_attention_heads": 1, "num_key_value_heads": 1, "head_dim": %d,
                 "vocab_size": %d, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "max_position_embeddings": 4096,
                 "tie_word_embeddings": false, "bos_token_id": %d, "eos_token_id": %d, "torch_dtype": "float32"}
                """.formatted(D, D, VOCAB, BOS, EOS));
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": " + BOS + ", \"eos_token_id\": " + EOS + "}");
        writeTokenizer(dir.resolve("tokenizer.json"));
        writeWeights(dir.resolve("model.safetensors"));
    }

    private static int feature(int token) {
        if (token < 256) {
            return switch ((char) token) {
                case ']' -> BRACKET;
                case '\n' -> NL;
                case 'S' -> S;
                case '1' -> ONE;
                case '0' -> ZERO;
                default -> OTHER;
            };
        }
        return switch (token) {
            case BOMB -> TRIGGER;
            case SAFE -> F_SAFE;
            case UNSAFE -> F_UNSAFE;
            default -> OTHER;
        };
    }

    private static void writeWeights(Path file) throws IOException {
        float[] embed = new float[VOCAB * D];
        for (int t = 0; t < VOCAB; t++) embed[t * D + feature(t)] = 1f;
        float[] ones = new float[D];
        java.util.Arrays.fill(ones, 1f);
        float[] v = new float[D * D], o = new float[D * D];
        v[SEEN * D + TRIGGER] = 1f;
        o[SEEN * D + SEEN] = 100f;        // the average over ~1000 positions is small: amplify it
        float[] gate = new float[D], up = new float[D], down = new float[D];
        gate[BRACKET] = 1f;
        up[SEEN] = 1f;
        down[VOTE] = 1f;
        float[] head = new float[VOCAB * D];
        int[][] bigram = {{BRACKET, SAFE}, {F_SAFE, EOS}, {F_UNSAFE, '\n'}, {NL, 'S'}, {S, '1'}, {ONE, '0'}, {ZERO, EOS}};
        for (int[] b : bigram) head[b[1] * D + b[0]] = 10f;
        head[UNSAFE * D + VOTE] = 1000f;
        List<SafetensorsWriter.Source> t = new ArrayList<>();
        t.add(SafetensorsWriter.f32("model.embed_tokens.weight", embed, VOCAB, D));
        String l = "model.layers.0.";
        t.add(SafetensorsWriter.f32(l + "input_layernorm.weight", ones, D));
        t.add(SafetensorsWriter.f32(l + "self_attn.q_proj.weight", new float[D * D], D, D));
        t.add(SafetensorsWriter.f32(l + "self_attn.k_proj.weight", new float[D * D], D, D));
        t.add(SafetensorsWriter.f32(l + "self_attn.v_proj.weight", v, D, D));
        t.add(SafetensorsWriter.f32(l + "self_attn.o_proj.weight", o, D, D));
        t.add(SafetensorsWriter.f32(l + "post_attention_layernorm.weight", ones, D));
        t.add(SafetensorsWriter.f32(l + "mlp.gate_proj.weight", gate, 1, D));
        t.add(SafetensorsWriter.f32(l + "mlp.up_proj.weight", up, 1, D));
        t.add(SafetensorsWriter.f32(l + "mlp.down_proj.weight", down, D, 1));
        t.add(SafetensorsWriter.f32("model.norm.weight", ones, D));
        t.add(SafetensorsWriter.f32("lm_head.weight", head, VOCAB, D));
        SafetensorsWriter.write(file, t, Map.of("format", "pt"));
    }

    private static void writeTokenizer(Path file) throws IOException {
        dev.refusal4j.testutil.ByteLevelTokenizerJson tok = dev.refusal4j.testutil.ByteLevelTokenizerJson.firstBytes(256)
                .special(BOS, "<|begin_of_text|>").special(EOS, "<|end_of_text|>")
                .token("bo", BO).token("bom", BOM).token("bomb", BOMB).token("safe", SAFE).token("unsafe", UNSAFE)
                .merge("b o").merge("bo m").merge("bom b");
        ObjectNode post = tok.root().putObject("post_processor");   // Llama 3's: BOS before every sequence
        post.put("type", "TemplateProcessing");
        post.putArray("single").addObject().putObject("SpecialToken").put("id", "<|begin_of_text|>").put("type_id", 0);
        post.withArray("single").addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        post.putArray("pair");
        ObjectNode bos = post.putObject("special_tokens").putObject("<|begin_of_text|>");
        bos.put("id", "<|begin_of_text|>");
        bos.putArray("ids").add(BOS);
        bos.putArray("tokens").add("<|begin_of_text|>");
        tok.write(file);
    }
}
