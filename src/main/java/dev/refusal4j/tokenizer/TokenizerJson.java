package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** Loads Hugging Face's {@code tokenizer.json} (BPE and WordPiece models). */
final class TokenizerJson {
    private TokenizerJson() {}

    static Tokenizer load(Path file) {
        JsonNode root = SpecialTokens.readJson(file);
        try {
            return build(root, file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(file + ": " + e.getMessage(), e);
        }
    }

    private static Tokenizer build(JsonNode root, Path dir) {
        JsonNode modelNode = root.path("model");
        if (!modelNode.isObject()) throw new IllegalArgumentException("no \"model\" object");
        Model model = model(modelNode);
        List<AddedToken> added = addedTokens(root.path("added_tokens"));
        Map<String, Integer> addedIds = new HashMap<>();
        for (AddedToken t : added) addedIds.put(t.content(), t.id());
        IntList prefix = new IntList(2), suffix = new IntList(2);
        postProcessor(root.path("post_processor"), prefix, suffix, addedIds, model);
        java.util.function.Function<String, OptionalInt> idOf = s -> {
            Integer a = addedIds.get(s);
            if (a != null) return OptionalInt.of(a);
            int id = model.id(s);
            return id >= 0 ? OptionalInt.of(id) : OptionalInt.empty();
        };
        int size = model.size();
        for (AddedToken t : added) size = Math.max(size, t.id() + 1);
        for (int id : prefix.toArray()) checkInside(id, size);
        for (int id : suffix.toArray()) checkInside(id, size);
        int[] pre = prefix.toArray(), post = suffix.toArray();
        OptionalInt bos = SpecialTokens.resolve(dir, "bos_token", idOf, pre, List.of(), added);
        OptionalInt eos = SpecialTokens.resolve(dir, "eos_token", idOf, pre, SpecialTokens.EOS_NAMES, added);
        JsonNode config = dir == null ? null : SpecialTokens.optionalJson(dir, "tokenizer_config.json");
        if (config != null && rebuildsPostProcessor(config.path("tokenizer_class").asText(""))) {
            // transformers' Llama/Gemma fast tokenizers replace the post-processor by BOS/EOS from the config
            pre = config.path("add_bos_token").asBoolean(true) && bos.isPresent() ? new int[]{bos.getAsInt()} : new int[0];
            post = config.path("add_eos_token").asBoolean(false) && eos.isPresent() ? new int[]{eos.getAsInt()} : new int[0];
        }
        return new PipelineTokenizer(model, Normalizer.fromJson(root.get("normalizer")),
                PreTokenizer.fromJson(root.get("pre_tokenizer")), Decoder.fromJson(root.get("decoder")),
                added, pre, post, bos, eos);
    }

    private static void checkInside(int id, int size) {
        if (id >= size) throw new IllegalArgumentException("post_processor adds id " + id + ", outside the vocabulary (" + size + " ids)");
    }

    /** Tokenizer classes whose transformers implementation rebuilds the post-processor from add_bos/eos_token. */
    private static boolean rebuildsPostProcessor(String cls) {
        return cls.matches("(Llama|CodeLlama|Gemma)Tokenizer(Fast)?");
    }

    static Map<String, Integer> vocab(JsonNode node) {
        if (!node.isObject()) throw new IllegalArgumentException("model.vocab is not an object");
        if (node.isEmpty()) throw new IllegalArgumentException("model.vocab is empty");
        Map<String, Integer> vocab = new HashMap<>(node.size() * 2);
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!Model.isId(e.getValue())) {
                throw new IllegalArgumentException("vocabulary entry '" + e.getKey() + "' has id " + e.getValue()
                        + ", not a whole number from 0 to " + Model.MAX_ID);
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        return vocab;
    }

    private static Model model(JsonNode m) {
        String type = m.path("type").asText(m.has("merges") ? "BPE" : "");
        return switch (type) {
            case "BPE" -> {
                Map<String, Integer> vocab = vocab(m.path("vocab"));
                List<String[]> merges = new ArrayList<>();
                int rank = 0;
                for (JsonNode n : m.path("merges")) {
                    rank++;
                    if (n.isArray() && n.size() == 2) {
                        merges.add(new String[]{n.get(0).asText(), n.get(1).asText()});
                    } else if (n.isTextual()) {
                        merges.add(splitMerge(n.asText(), rank));
                    } else {
                        throw new IllegalArgumentException("merge " + rank + " is neither \"a b\" nor [a, b]");
                    }
                }
                yield new BpeModel(vocab, merges, textOrNull(m.get("unk_token")), m.path("fuse_unk").asBoolean(false),
                        m.path("byte_fallback").asBoolean(false), m.path("ignore_merges").asBoolean(false),
                        textOrNull(m.get("continuing_subword_prefix")), textOrNull(m.get("end_of_word_suffix")));
            }
            case "WordPiece" -> {
                JsonNode max = m.path("max_input_chars_per_word");
                if (!max.isMissingNode() && !(max.isIntegralNumber() && max.canConvertToInt() && max.asInt() > 0)) {
                    throw new IllegalArgumentException("max_input_chars_per_word " + shortText(max) + " is not a positive whole number");
                }
                yield new WordPieceModel(vocab(m.path("vocab")), m.path("unk_token").asText("[UNK]"),
                        m.path("continuing_subword_prefix").asText("##"), max.asInt(100));
            }
            case "Unigram" -> {
                JsonNode list = m.path("vocab");
                if (!list.isArray() || list.isEmpty()) throw new IllegalArgumentException("model.vocab of a Unigram model is not a list of [piece, score]");
                String[] pieces = new String[list.size()];
                double[] scores = new double[list.size()];
                for (int i = 0; i < pieces.length; i++) {
                    JsonNode e = list.get(i);
                    if (!e.isArray() || e.size() != 2 || !e.get(1).isNumber()) throw new IllegalArgumentException("model.vocab entry " + i + " is not [piece, score]");
                    pieces[i] = e.get(0).asText();
                    scores[i] = e.get(1).asDouble();
                }
                if (!m.hasNonNull("unk_id")) throw new IllegalArgumentException("Unigram model without unk_id is not supported");
                if (!Model.isId(m.get("unk_id"))) throw new IllegalArgumentException("unk_id " + shortText(m.get("unk_id")) + " is not a token id");
                yield new UnigramModel(pieces, scores, m.get("unk_id").asInt(), m.path("byte_fallback").asBoolean(false));
            }
            default -> throw new IllegalArgumentException("model type '" + type + "' is not supported (BPE, WordPiece and Unigram are)");
        };
    }

    /** "a b" with exactly one space, as Hugging Face requires (a merge with more spaces is ambiguous). */
    static String[] splitMerge(String line, int rank) {
        int sp = line.indexOf(' ');
        if (sp <= 0 || sp == line.length() - 1 || line.indexOf(' ', sp + 1) >= 0) {
            throw new IllegalArgumentException("merge " + rank + " '" + line + "' does not split into two tokens at one space"
                    + " (a damaged file: white space inside a merged token is ambiguous)");
        }
        return new String[]{line.substring(0, sp), line.substring(sp + 1)};
    }

    /** A JSON value for an error message, cut to one short line. */
    static String shortText(JsonNode n) {
        String s = String.valueOf(n).replace('\n', ' ');
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    static List<AddedToken> addedTokens(JsonNode list) {
        List<AddedToken> out = new ArrayList<>();
        for (JsonNode n : list) {
            if (!n.has("id") || !n.has("content")) throw new IllegalArgumentException("added token without id or content: " + shortText(n));
            if (!Model.isId(n.get("id"))) throw new IllegalArgumentException("added token " + shortText(n) + ": id is not a whole number from 0 to " + Model.MAX_ID);
            if (!n.get("content").isTextual()) throw new IllegalArgumentException("added token " + shortText(n) + ": content is not a string");
            out.add(new AddedToken(n.get("id").asInt(), n.get("content").asText(), n.path("single_word").asBoolean(false),
                    n.path("lstrip").asBoolean(false), n.path("rstrip").asBoolean(false), n.path("normalized").asBoolean(false),
                    n.path("special").asBoolean(false)));
        }
        return out;
    }

    /** The id of a ["[CLS]", 101] pair of a Bert/Roberta post-processor. */
    private static int tokenPairId(JsonNode node, String key) {
        JsonNode pair = node.path(key);
        if (!pair.isArray() || pair.size() != 2 || !Model.isId(pair.get(1))) {
            throw new IllegalArgumentException("post_processor." + key + " is not a [token, id] pair: " + shortText(pair));
        }
        return pair.get(1).asInt();
    }

    private static void postProcessor(JsonNode node, IntList prefix, IntList suffix, Map<String, Integer> addedIds, Model model) {
        if (node == null || node.isNull() || node.isMissingNode()) return;
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode p : node.path("processors")) postProcessor(p, prefix, suffix, addedIds, model);
            }
            case "ByteLevel" -> { } // only adjusts offsets
            case "TemplateProcessing" -> {
                boolean afterSequence = false;
                for (JsonNode item : node.path("single")) {
                    if (item.has("Sequence")) {
                        afterSequence = true;
                        continue;
                    }
                    String name = item.path("SpecialToken").path("id").asText();
                    JsonNode spec = node.path("special_tokens").path(name);
                    if (!spec.path("ids").isArray()) throw new IllegalArgumentException("post_processor uses special token '" + name + "' it does not define");
                    for (JsonNode id : spec.get("ids")) {
                        if (!Model.isId(id)) throw new IllegalArgumentException("post_processor special token '" + name + "' has id " + shortText(id));
                        (afterSequence ? suffix : prefix).add(id.asInt());
                    }
                }
            }
            case "RobertaProcessing", "BertProcessing" -> {
                prefix.add(tokenPairId(node, "cls"));
                suffix.add(tokenPairId(node, "sep"));
            }
            default -> throw new IllegalArgumentException("unsupported post_processor type '" + type + "'");
        }
    }
}
