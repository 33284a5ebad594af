package dev.refusal4j.organism.bpe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a {@link BpeModel} as the Hugging Face tokenizer files of a chat model, laid out like Qwen2's:
 * a BPE model with a Split(regex) + ByteLevel pre-tokenizer and a ByteLevel decoder, the chat special
 * tokens as added tokens, and a ChatML chat template ending turns with {@code <|im_end|>}.
 */
public final class TokenizerFiles {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";

    /**
     * ChatML: each message is {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n}; a system message is used only
     * when the caller gives one. With {@code add_generation_prompt} the assistant turn is opened.
     */
    public static final String CHAT_TEMPLATE = """
            {%- for message in messages %}\
            {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}\
            {%- endfor %}\
            {%- if add_generation_prompt %}\
            {{- '<|im_start|>assistant\\n' }}\
            {%- endif %}""";

    private TokenizerFiles() {}

    static void write(BpeModel model, Path dir, int modelMaxLength) {
        for (String s : new String[] {END_OF_TEXT, IM_START, IM_END}) {
            if (!model.specials().contains(s)) throw new IllegalArgumentException("tokenizer lacks special token " + s);
        }
        try {
            Files.createDirectories(dir);
            Json.write(dir.resolve("tokenizer.json"), tokenizerJson(model));
            Json.write(dir.resolve("tokenizer_config.json"), tokenizerConfig(model, modelMaxLength));
            Json.write(dir.resolve("special_tokens_map.json"), specialTokensMap(model));
            Json.write(dir.resolve("generation_config.json"), generationConfig(model));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer files to " + dir, e);
        }
    }

    static ObjectNode tokenizerJson(BpeModel model) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : model.specials()) {
            ObjectNode t = added.addObject();
            t.put("id", model.specialId(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", PreTokenizer.SPLIT_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        byteLevel(steps.addObject(), false);
        byteLevel(root.putObject("post_processor"), false);
        byteLevel(root.putObject("decoder"), false);
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        bpe.putNull("unk_token");
        bpe.put("continuing_subword_prefix", "");
        bpe.put("end_of_word_suffix", "");
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        bpe.put("ignore_merges", false);
        ObjectNode vocab = bpe.putObject("vocab");
        for (int i = 0; i < model.tokens().size(); i++) vocab.put(model.tokens().get(i), i);
        ArrayNode merges = bpe.putArray("merges");
        // Byte-level tokens never contain a space, so "left right" is unambiguous (the classic form).
        for (String[] m : model.merges()) merges.add(m[0] + " " + m[1]);
        return root;
    }

    private static void byteLevel(ObjectNode node, boolean useRegex) {
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", false);
        node.put("trim_offsets", false);
        node.put("use_regex", useRegex);
    }

    private static ObjectNode addedToken(String content) {
        ObjectNode t = Json.MAPPER.createObjectNode();
        t.put("content", content);
        t.put("lstrip", false);
        t.put("normalized", false);
        t.put("rstrip", false);
        t.put("single_word", false);
        return t;
    }

    static ObjectNode tokenizerConfig(BpeModel model, int modelMaxLength) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("add_bos_token", false);
        c.put("add_prefix_space", false);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (String s : model.specials()) decoder.set(String.valueOf(model.specialId(s)), addedToken(s).put("special", true));
        c.putArray("additional_special_tokens").add(IM_START).add(IM_END);
        c.putNull("bos_token");
        c.put("chat_template", CHAT_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", IM_END);
        c.put("errors", "replace");
        c.put("model_max_length", modelMaxLength);
        c.put("pad_token", END_OF_TEXT);
        c.put("split_special_tokens", false);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.putNull("unk_token");
        return c;
    }

    static ObjectNode specialTokensMap(BpeModel model) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.putArray("additional_special_tokens").add(IM_START).add(IM_END);
        m.set("eos_token", addedToken(IM_END));
        m.set("pad_token", addedToken(END_OF_TEXT));
        return m;
    }

    static ObjectNode generationConfig(BpeModel model) {
        ObjectNode g = Json.MAPPER.createObjectNode();
        g.putArray("eos_token_id").add(model.specialId(IM_END)).add(model.specialId(END_OF_TEXT));
        g.put("pad_token_id", model.specialId(END_OF_TEXT));
        g.put("do_sample", false);
        return g;
    }
}
