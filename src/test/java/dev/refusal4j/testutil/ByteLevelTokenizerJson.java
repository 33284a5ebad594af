package dev.refusal4j.testutil;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.tokenizer.ByteLevel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face tokenizer.json for test models: byte-level BPE (GPT-2's pre-tokenizer,
 * post-processor and decoder), one token per byte, and whatever special tokens, extra vocabulary
 * and merges a test adds to it.
 */
public final class ByteLevelTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ObjectNode root = JSON.createObjectNode();

    /** @param idOfByte the id of each byte's token; a negative id leaves that byte out */
    public ByteLevelTokenizerJson(int[] idOfByte) {
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < idOfByte.length; b++) if (idOfByte[b] >= 0) vocab.put(String.valueOf(ByteLevel.charOf(b)), idOfByte[b]);
        model.putArray("merges");
    }

    /** Bytes 0..n-1 as ids 0..n-1. */
    public static ByteLevelTokenizerJson firstBytes(int n) {
        int[] ids = new int[256];
        for (int b = 0; b < 256; b++) ids[b] = b < n ? b : -1;
        return new ByteLevelTokenizerJson(ids);
    }

    public ByteLevelTokenizerJson special(int id, String content) {
        root.withArray("added_tokens").addObject().put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        return this;
    }

    public ByteLevelTokenizerJson token(String piece, int id) {
        ((ObjectNode) root.get("model").get("vocab")).put(piece, id);
        return this;
    }

    public ByteLevelTokenizerJson merge(String pair) {
        ((ObjectNode) root.get("model")).withArray("merges").add(pair);
        return this;
    }

    /** The tree, for a test that changes a part (e.g. another post-processor). */
    public ObjectNode root() {
        return root;
    }

    public void write(Path file) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(root));
    }
}
