package dev.refusal4j.testutil;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A complete chat model directory for end-to-end tests: the golden llama-gqa weights (random,
 * vocabulary 320) with a byte-level tokenizer of 256 byte tokens and no merges, ChatML special
 * tokens at 256..258, a ChatML template and a generation config. It behaves randomly, so tests use
 * it for plumbing and formats, not for refusal behavior.
 */
public final class TinyChatModel {
    private TinyChatModel() {}

    public static Path create(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path golden = Shared.path("golden", "llama-gqa");
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(golden.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ObjectMapper json = new ObjectMapper();
        writeTokenizer(dir.resolve("tokenizer.json"), 256, 256);
        ObjectNode cfg = json.createObjectNode();
        cfg.put("chat_template", "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
        cfg.putNull("bos_token");
        cfg.put("eos_token", "<|im_end|>");
        cfg.put("pad_token", "<|endoftext|>");
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(cfg));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [257, 258]}");
        return dir;
    }

    /**
     * A Qwen-1 chat model folder as the hub has it: no chat template (the golden qwen1 weights,
     * vocabulary 256). The byte-level tokenizer gives its last three ids to the ChatML special tokens
     * and has no tokens for the bytes 0xFD..0xFF, which never occur in UTF-8 text.
     */
    public static Path createQwen1(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path golden = Shared.path("golden", "qwen1");
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(golden.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        writeTokenizer(dir.resolve("tokenizer.json"), 253, 253);
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [254, 255]}");
        return dir;
    }

    /**
     * A byte-level BPE tokenizer.json without merges: the first {@code bytes} byte values are tokens
     * 0..bytes-1, and the ChatML special tokens follow from {@code firstSpecial}.
     */
    static void writeTokenizer(Path file, int bytes, int firstSpecial) throws IOException {
        ByteLevelTokenizerJson tok = ByteLevelTokenizerJson.firstBytes(bytes);
        String[] specials = {"<|im_start|>", "<|im_end|>", "<|endoftext|>"};
        for (int i = 0; i < specials.length; i++) tok.special(firstSpecial + i, specials[i]);
        tok.write(file);
    }
}
