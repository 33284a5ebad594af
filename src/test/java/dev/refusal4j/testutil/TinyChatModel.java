package dev.refusal4j.testutil;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
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
        ObjectMapper json = new ObjectMapper();
        ObjectNode tok = json.createObjectNode();
        tok.put("version", "1.0");
        tok.putNull("truncation");
        tok.putNull("padding");
        ArrayNode added = tok.putArray("added_tokens");
        String[] specials = {"<|im_start|>", "<|im_end|>", "<|endoftext|>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", firstSpecial + i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        tok.putNull("normalizer");
        tok.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        tok.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", true);
        tok.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = tok.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        int[] byteToChar = byteToUnicode();
        for (int b = 0; b < bytes; b++) vocab.put(new String(Character.toChars(byteToChar[b])), b);
        model.putArray("merges");
        Files.writeString(file, json.writeValueAsString(tok));
    }

    /** GPT-2's reversible mapping of bytes to printable characters. */
    static int[] byteToUnicode() {
        int[] map = new int[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? b : 256 + n++;
        return map;
    }
}
