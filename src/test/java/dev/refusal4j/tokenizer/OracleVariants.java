package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.testutil.Shared;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * tokenizer.json files written for the oracle test from the vocabularies in ../shared, to reach
 * configurations no shared file has: Qwen2.5 as transformers converts it, Llama-3's split pattern
 * with ignore_merges, GPT-2's byte-level regex with prefix space and digit splitting, Metaspace
 * with prepend_scheme "first", and added tokens with lstrip / rstrip / single_word / normalized.
 */
final class OracleVariants {
    private OracleVariants() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** name -> tokenizer.json written under {@code dir}. */
    static Map<String, Path> write(Path dir) throws Exception {
        Map<String, Path> out = new LinkedHashMap<>();
        Path qwenDir = Shared.path("tokenizers", "hf", "qwen2.5-vocab-merges");
        ObjectNode qwen = qwenConverted(qwenDir);
        out.put("qwen2.5-converted", save(dir, "qwen2.5-converted", qwen));

        ObjectNode llama3 = qwen.deepCopy();
        ((ObjectNode) llama3.get("model")).put("ignore_merges", true);
        llama3.set("normalizer", null);
        llama3.set("pre_tokenizer", JSON.readTree("""
                {"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"%s"},"behavior":"Isolated","invert":false},
                 {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}"""
                .formatted(jsonEscape(Regexes.LLAMA3))));
        llama3.set("post_processor", JSON.readTree("""
                {"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
                 "pair":[{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{"<|endoftext|>":{"id":"<|endoftext|>","ids":[151643],"tokens":["<|endoftext|>"]}}}"""));
        out.put("llama3-pattern", save(dir, "llama3-pattern", llama3));

        ObjectNode tekken = llama3.deepCopy();
        tekken.set("pre_tokenizer", JSON.readTree("""
                {"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"%s"},"behavior":"Isolated","invert":false},
                 {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}"""
                .formatted(jsonEscape(PreTokenizers.TEKKEN))));
        tekken.set("post_processor", null);
        out.put("tekken-pattern", save(dir, "tekken-pattern", tekken));

        ObjectNode gpt2 = qwen.deepCopy();
        gpt2.set("normalizer", null);
        gpt2.set("pre_tokenizer", JSON.readTree("""
                {"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},
                 {"type":"ByteLevel","add_prefix_space":true,"trim_offsets":true,"use_regex":true}]}"""));
        gpt2.set("post_processor", JSON.readTree("{\"type\":\"RobertaProcessing\",\"sep\":[\"<|im_end|>\",151645],\"cls\":[\"<|im_start|>\",151644],\"trim_offsets\":true,\"add_prefix_space\":true}"));
        ArrayNode added = (ArrayNode) gpt2.get("added_tokens");
        added.add(token(151665, "<|left|>", false, true, false, false, true));
        added.add(token(151666, "<|right|>", false, false, true, false, true));
        added.add(token(151667, " banana", true, false, false, false, false));
        out.put("gpt2-regex-digits", save(dir, "gpt2-regex-digits", gpt2));

        ObjectNode meta = (ObjectNode) JSON.readTree(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json").toFile());
        meta.set("normalizer", null);
        meta.set("pre_tokenizer", JSON.readTree("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"first\",\"split\":false}"));
        meta.set("decoder", JSON.readTree("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"first\",\"split\":false}"));
        ArrayNode metaAdded = (ArrayNode) meta.get("added_tokens");
        ((ObjectNode) metaAdded.get(2)).put("normalized", true);
        metaAdded.add(token(32000, "<|user|>", false, true, true, false, true));
        metaAdded.add(token(32001, "[INST]", false, false, false, true, true));
        metaAdded.add(token(32002, "hello", true, false, false, false, false));
        out.put("metaspace-first", save(dir, "metaspace-first", meta));

        ObjectNode metaSplit = meta.deepCopy();
        metaSplit.set("pre_tokenizer", JSON.readTree("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"always\",\"split\":true}"));
        metaSplit.set("decoder", JSON.readTree("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"always\",\"split\":true}"));
        out.put("metaspace-split", save(dir, "metaspace-split", metaSplit));

        // The README's case: Llama-2's <unk>, <s>, </s> marked normalized: true (matched in the normalized text).
        ObjectNode normalizedSpecials = (ObjectNode) JSON.readTree(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json").toFile());
        for (JsonNode t : normalizedSpecials.get("added_tokens")) ((ObjectNode) t).put("normalized", true);
        out.put("llama-normalized-specials", save(dir, "llama-normalized-specials", normalizedSpecials));

        ObjectNode nonLegacy = (ObjectNode) JSON.readTree(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json").toFile());
        nonLegacy.set("normalizer", null); // what transformers' LlamaConverter writes for legacy=false
        nonLegacy.set("pre_tokenizer", JSON.readTree("{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"first\",\"split\":false}"));
        out.put("llama-non-legacy", save(dir, "llama-non-legacy", nonLegacy));

        for (boolean byteFallback : new boolean[]{true, false}) {
            ObjectNode uni = (ObjectNode) JSON.readTree(Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json").toFile());
            uni.set("model", unigramFrom(uni.get("model").get("vocab"), byteFallback));
            String name = byteFallback ? "unigram-byte-fallback" : "unigram-unk";
            out.put(name, save(dir, name, uni));
        }
        return out;
    }

    /** A unigram model over a BPE vocabulary, scored -log(id + 2) (byte pieces -30): any scores do for an oracle. */
    private static ObjectNode unigramFrom(JsonNode bpeVocab, boolean byteFallback) {
        String[] pieces = new String[bpeVocab.size()];
        bpeVocab.properties().forEach(e -> pieces[e.getValue().asInt()] = e.getKey());
        ObjectNode model = JSON.createObjectNode();
        model.put("type", "Unigram");
        model.put("unk_id", 0);
        model.put("byte_fallback", byteFallback);
        ArrayNode vocab = model.putArray("vocab");
        for (int i = 0; i < pieces.length; i++) {
            double score = i < 3 ? 0.0 : pieces[i].startsWith("<0x") ? -30.0 : -Math.log(i + 2);
            vocab.addArray().add(pieces[i]).add(score);
        }
        return model;
    }

    /** What transformers' Qwen2Converter builds from vocab.json + merges.txt + tokenizer_config.json. */
    static ObjectNode qwenConverted(Path qwenDir) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.set("truncation", null);
        root.set("padding", null);
        ArrayNode added = root.putArray("added_tokens");
        JsonNode cfg = JSON.readTree(qwenDir.resolve("tokenizer_config.json").toFile());
        for (var it = cfg.get("added_tokens_decoder").properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            ObjectNode t = ((ObjectNode) e.getValue()).deepCopy();
            t.put("id", Integer.parseInt(e.getKey()));
            added.add(t);
        }
        root.set("normalizer", JSON.readTree("{\"type\":\"NFC\"}"));
        root.set("pre_tokenizer", JSON.readTree("""
                {"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"%s"},"behavior":"Isolated","invert":false},
                 {"type":"ByteLevel","add_prefix_space":false,"trim_offsets":false,"use_regex":false}]}"""
                .formatted(jsonEscape(Regexes.QWEN2))));
        root.set("post_processor", JSON.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}"));
        root.set("decoder", JSON.readTree("{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}"));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.set("dropout", null);
        model.set("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.set("vocab", JSON.readTree(qwenDir.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        for (String[] m : VocabMerges.readMerges(qwenDir.resolve("merges.txt"))) merges.add(m[0] + " " + m[1]);
        return root;
    }

    private static ObjectNode token(int id, String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized, boolean special) {
        ObjectNode t = JSON.createObjectNode();
        t.put("id", id).put("content", content).put("single_word", singleWord).put("lstrip", lstrip).put("rstrip", rstrip)
                .put("normalized", normalized).put("special", special);
        return t;
    }

    private static String jsonEscape(String s) throws Exception {
        String q = JSON.writeValueAsString(s);
        return q.substring(1, q.length() - 1);
    }

    private static Path save(Path dir, String name, ObjectNode root) throws Exception {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        Path f = d.resolve("tokenizer.json");
        JSON.writeValue(f.toFile(), root);
        return f;
    }
}
