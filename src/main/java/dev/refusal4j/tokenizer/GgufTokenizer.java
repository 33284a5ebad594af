package dev.refusal4j.tokenizer;

import dev.refusal4j.io.gguf.GgufException;
import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The tokenizer stored in a GGUF file's metadata ({@code tokenizer.ggml.*}): "gpt2" (byte-level
 * BPE with the pre-tokenizer that {@code tokenizer.ggml.pre} names, rebuilt as the Hugging Face
 * pipeline of that model family), "llama" (SentencePiece scores) or "bert" (WordPiece).
 * Control tokens become special tokens and user-defined tokens added tokens, as in llama.cpp.
 */
final class GgufTokenizer {
    private GgufTokenizer() {}

    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;

    static Tokenizer load(Path file) {
        GgufFile gguf;
        try {
            gguf = GgufReader.read(file);
        } catch (GgufException e) {
            throw new TokenizerException(e.getMessage(), e);
        }
        try {
            return build(gguf);
        } catch (GgufException | IllegalArgumentException | ArithmeticException e) { // ArithmeticException: an id beyond int
            String msg = String.valueOf(e.getMessage());
            throw new TokenizerException(msg.startsWith(file.toString()) ? msg : file + ": " + msg, e);
        }
    }

    private static Tokenizer build(GgufFile g) {
        String model = g.string("tokenizer.ggml.model");
        String[] tokens = g.strings("tokenizer.ggml.tokens");
        if (tokens.length == 0) throw new IllegalArgumentException("tokenizer.ggml.tokens is empty");
        if (tokens.length - 1 > Model.MAX_ID) throw new IllegalArgumentException("tokenizer.ggml.tokens has " + tokens.length + " tokens, more than " + (Model.MAX_ID + 1));
        int[] types = g.has("tokenizer.ggml.token_type") ? g.ints("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != tokens.length) {
            throw new IllegalArgumentException("tokenizer.ggml.token_type has " + types.length + " entries for " + tokens.length + " tokens");
        }
        if (types == null) {
            types = new int[tokens.length];
            java.util.Arrays.fill(types, NORMAL);
        }
        OptionalInt bos = optionalId(g, "tokenizer.ggml.bos_token_id", tokens.length);
        OptionalInt eos = optionalId(g, "tokenizer.ggml.eos_token_id", tokens.length);
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] == CONTROL || types[i] == UNKNOWN) added.add(AddedToken.special(i, tokens[i]));
            else if (types[i] == USER_DEFINED) added.add(new AddedToken(i, tokens[i], false, false, false, false, false));
        }
        return switch (model) {
            case "llama" -> {
                float[] scores = g.has("tokenizer.ggml.scores") ? g.floats("tokenizer.ggml.scores") : new float[tokens.length];
                if (scores.length != tokens.length) throw new IllegalArgumentException("tokenizer.ggml.scores has " + scores.length + " entries for " + tokens.length + " tokens");
                int unk = requiredId(g, "tokenizer.ggml.unknown_token_id", 0, tokens.length);
                boolean byteFallback = false;
                for (int t : types) byteFallback |= t == 6;
                Model spm = new SentencePieceModel(tokens, scores, types, unk, byteFallback);
                yield SentencePieceTokenizer.assemble(spm, added, g.bool("tokenizer.ggml.add_space_prefix", true), false, true, bos, eos,
                        g.bool("tokenizer.ggml.add_bos_token", true), g.bool("tokenizer.ggml.add_eos_token", false));
            }
            case "gpt2" -> gpt2(g, tokens, types, added, bos, eos);
            case "bert" -> bert(g, tokens, added);
            default -> throw new IllegalArgumentException("tokenizer.ggml.model '" + model + "' is not supported (gpt2, llama and bert are)");
        };
    }

    /** An id the tokenizer cannot work without (unk): the key's value, or the fallback, inside the vocabulary. */
    private static int requiredId(GgufFile g, String key, int fallback, int n) {
        long id = g.integer(key, fallback);
        if (id < 0 || id >= n) throw new IllegalArgumentException(key + " = " + id + " is outside the vocabulary (" + n + " tokens)");
        return (int) id;
    }

    private static OptionalInt optionalId(GgufFile g, String key, int n) {
        if (!g.has(key)) return OptionalInt.empty();
        long id = g.integer(key);
        if (id < 0 || id >= n) throw new IllegalArgumentException(key + " = " + id + " is outside the vocabulary (" + n + " tokens)");
        return OptionalInt.of((int) id);
    }

    /**
     * A byte-level BPE vocabulary. Unused entries (the converter's "[PAD123]" fillers up to the
     * model's vocabulary size) are no tokens, as they are not in tokenizer.json and llama.cpp
     * decodes them to nothing.
     */
    private static Tokenizer gpt2(GgufFile g, String[] tokens, int[] types, List<AddedToken> added, OptionalInt bos, OptionalInt eos) {
        Map<String, Integer> vocab = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) if (types[i] != UNUSED) vocab.putIfAbsent(tokens[i], i);
        String[] mergeLines = g.strings("tokenizer.ggml.merges");
        List<String[]> merges = new ArrayList<>(mergeLines.length);
        for (int i = 0; i < mergeLines.length; i++) merges.add(TokenizerJson.splitMerge(mergeLines[i], i + 1));
        String pre = g.has("tokenizer.ggml.pre") ? g.string("tokenizer.ggml.pre") : "default";
        PreTokenizers.Family family = PreTokenizers.family(pre);
        BpeModel bpe = new BpeModel(vocab, merges, null, false, false, family.ignoreMerges(), null, null);
        boolean addBos = g.bool("tokenizer.ggml.add_bos_token", false) && bos.isPresent();
        boolean addEos = g.bool("tokenizer.ggml.add_eos_token", false) && eos.isPresent();
        return new PipelineTokenizer(bpe, family.normalizer(), family.preTokenizer(), Decoder::byteLevel, added,
                addBos ? new int[]{bos.getAsInt()} : new int[0], addEos ? new int[]{eos.getAsInt()} : new int[0], bos, eos);
    }

    /** llama.cpp stores BERT's vocabulary with "▁" marking word starts instead of "##" marking continuations. */
    private static Tokenizer bert(GgufFile g, String[] tokens, List<AddedToken> added) {
        Map<String, Integer> vocab = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            String hf = t.startsWith("\u2581") ? t.substring(1) : (t.startsWith("[") && t.endsWith("]")) ? t : "##" + t;
            vocab.putIfAbsent(hf, i);
        }
        int unk = requiredId(g, "tokenizer.ggml.unknown_token_id", vocab.getOrDefault("[UNK]", 100), tokens.length);
        WordPieceModel wp = new WordPieceModel(vocab, tokens[unk].startsWith("\u2581") ? tokens[unk].substring(1) : tokens[unk], "##", 100);
        OptionalInt cls = optionalId(g, "tokenizer.ggml.cls_token_id", tokens.length);
        OptionalInt sep = optionalId(g, "tokenizer.ggml.seperator_token_id", tokens.length);
        return new PipelineTokenizer(wp, Normalizer.bert(true, true, true, true), PreTokenizer.bert(), Decoder.wordPiece("##", true), added,
                cls.isPresent() ? new int[]{cls.getAsInt()} : new int[0], sep.isPresent() ? new int[]{sep.getAsInt()} : new int[0], cls, sep);
    }
}
