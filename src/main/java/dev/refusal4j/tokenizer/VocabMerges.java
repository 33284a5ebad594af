package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TextFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Loads a byte-level BPE shipped as {@code vocab.json} + {@code merges.txt} with its added tokens
 * in {@code tokenizer_config.json}, building what transformers' converter builds for the
 * tokenizer class named there: Qwen2 (NFC, Qwen2's split pattern, byte-level) or GPT-2.
 */
final class VocabMerges {
    private VocabMerges() {}

    static Tokenizer load(Path dir) {
        Path vocabFile = dir.resolve("vocab.json"), mergesFile = dir.resolve("merges.txt");
        Map<String, Integer> vocab;
        try {
            vocab = TokenizerJson.vocab(SpecialTokens.readJson(vocabFile));
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(vocabFile + ": " + e.getMessage(), e);
        }
        List<String[]> merges = readMerges(mergesFile);
        JsonNode config = SpecialTokens.optionalJson(dir, "tokenizer_config.json");
        Path configFile = dir.resolve("tokenizer_config.json");
        List<AddedToken> added = new ArrayList<>();
        if (config != null) {
            for (var it = config.path("added_tokens_decoder").properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                JsonNode t = e.getValue();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    id = -1;
                }
                if (id < 0 || id > Model.MAX_ID) throw new TokenizerException(configFile + ": added_tokens_decoder key '" + e.getKey() + "' is not a token id");
                if (!t.path("content").isTextual()) throw new TokenizerException(configFile + ": added_tokens_decoder '" + e.getKey() + "' has no string content");
                added.add(new AddedToken(id, t.path("content").asText(), t.path("single_word").asBoolean(false),
                        t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                        t.path("normalized").asBoolean(false), t.path("special").asBoolean(false)));
            }
        }
        String cls = config == null ? "" : config.path("tokenizer_class").asText("");
        boolean qwen = cls.startsWith("Qwen2");
        BpeModel model;
        try {
            model = new BpeModel(vocab, merges, null, false, false, false, null, null);
        } catch (IllegalArgumentException e) {
            // the two files disagree: name both
            throw new TokenizerException(mergesFile + ": " + e.getMessage() + " (" + vocabFile + ")", e);
        }
        Normalizer normalizer = qwen ? text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC) : Normalizer.IDENTITY;
        PreTokenizer pre = qwen
                ? PreTokenizer.sequence(List.of(
                        PreTokenizer.regexSplit(Regexes.compile(Regexes.QWEN2), false, Splitter.Behavior.ISOLATED),
                        PreTokenizer.byteLevel(false, false)))
                : PreTokenizer.byteLevel(config != null && config.path("add_prefix_space").asBoolean(false), true);
        java.util.function.Function<String, OptionalInt> idOf = s -> {
            for (AddedToken t : added) if (t.content().equals(s)) return OptionalInt.of(t.id());
            int id = model.id(s);
            return id >= 0 ? OptionalInt.of(id) : OptionalInt.empty();
        };
        OptionalInt bos = SpecialTokens.resolve(dir, "bos_token", idOf, new int[0], List.of(), added);
        OptionalInt eos = SpecialTokens.resolve(dir, "eos_token", idOf, new int[0], SpecialTokens.EOS_NAMES, added);
        boolean addBos = config != null && config.path("add_bos_token").asBoolean(false) && bos.isPresent();
        boolean addEos = config != null && config.path("add_eos_token").asBoolean(false) && eos.isPresent();
        return new PipelineTokenizer(model, normalizer, pre, Decoder::byteLevel, added,
                addBos ? new int[]{bos.getAsInt()} : new int[0], addEos ? new int[]{eos.getAsInt()} : new int[0], bos, eos);
    }

    static List<String[]> readMerges(Path file) {
        List<String> lines;
        try {
            lines = TextFiles.readLines(file);
        } catch (ModelFormatException e) { // not UTF-8: the message names the file, byte and line
            throw new TokenizerException(e.getMessage(), e);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
        }
        List<String[]> merges = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if ((i == 0 && line.startsWith("#version")) || line.isEmpty()) continue;
            String[] parts = line.split("\\s+");
            if (parts.length != 2) throw new TokenizerException(file + ": line " + (i + 1) + " '" + line + "' is not two tokens separated by a space");
            merges.add(parts);
        }
        return merges;
    }
}
