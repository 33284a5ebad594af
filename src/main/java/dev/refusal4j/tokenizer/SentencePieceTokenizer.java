package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Loads a SentencePiece {@code tokenizer.model} (protobuf ModelProto; BPE or unigram) the way transformers'
 * LlamaTokenizerFast converts it: "▁" prepended (add_dummy_prefix) and spaces written as "▁",
 * control and unknown pieces as special tokens recognized in text, user-defined pieces as added
 * tokens, BOS added in front (unless tokenizer_config.json says add_bos_token: false).
 */
final class SentencePieceTokenizer {
    private SentencePieceTokenizer() {}

    static Tokenizer load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return build(bytes, file);
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage(), e);
        }
    }

    private static Tokenizer build(byte[] bytes, Path file) {
        SentencePieceVocab v = SentencePieceVocab.parse(bytes, file);
        List<String> pieces = v.pieces();
        int modelType = v.modelType(), unkId = v.unkId(), bosId = v.bosId(), eosId = v.eosId();
        boolean byteFallback = v.byteFallback(), addDummyPrefix = v.addDummyPrefix(), removeExtraSpaces = v.removeExtraSpaces();
        String normalizerName = v.normalizerName();
        if (modelType != 1 && modelType != 2) {
            throw new IllegalArgumentException("SentencePiece model type " + modelType + " ("
                    + (modelType == 3 ? "word" : modelType == 4 ? "char" : "unknown") + ") is not supported; unigram (1) and BPE (2) are");
        }
        if (!normalizerName.isEmpty() && !normalizerName.equals("identity")) {
            throw new IllegalArgumentException("SentencePiece normalizer '" + normalizerName + "' is not supported (only identity)");
        }
        int n = pieces.size();
        if (unkId < 0 || unkId >= n) throw new IllegalArgumentException("trainer_spec.unk_id " + unkId + " is outside the " + n + " pieces");
        float[] sc = v.scores();
        int[] ty = v.types();
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (ty[i] == 2 || ty[i] == 3) added.add(AddedToken.special(i, pieces.get(i)));
            else if (ty[i] == 4) added.add(new AddedToken(i, pieces.get(i), false, false, false, false, false));
        }
        Model spm;
        if (modelType == 2) {
            spm = new SentencePieceModel(pieces.toArray(String[]::new), sc, ty, unkId, byteFallback);
        } else {
            double[] scores64 = new double[n];
            for (int i = 0; i < n; i++) scores64[i] = sc[i];
            spm = new UnigramModel(pieces.toArray(String[]::new), scores64, unkId, byteFallback);
        }
        JsonNode config = SpecialTokens.optionalJson(file.toAbsolutePath().getParent(), "tokenizer_config.json");
        boolean addBos = config == null || config.path("add_bos_token").asBoolean(true);
        boolean addEos = config != null && config.path("add_eos_token").asBoolean(false);
        // transformers' converter: legacy (default) prepends "▁" to every text piece, legacy=false only at the text start
        boolean legacy = config == null || config.path("legacy").asBoolean(true);
        boolean prefixSpace = addDummyPrefix && (config == null || config.path("add_prefix_space").asBoolean(true));
        return assemble(spm, added, prefixSpace, removeExtraSpaces, legacy, id(bosId, n), id(eosId, n), addBos, addEos);
    }

    private static OptionalInt id(int id, int n) {
        return id >= 0 && id < n ? OptionalInt.of(id) : OptionalInt.empty();
    }

    /**
     * The Llama-style pipeline around a SentencePiece vocabulary (also used for GGUF "llama"
     * vocabularies). {@code legacy}: "▁" goes in front of every piece of text between added tokens
     * (a Prepend normalizer); otherwise only in front of the text's start (Metaspace, scheme "first").
     */
    static Tokenizer assemble(Model model, List<AddedToken> added, boolean addDummyPrefix, boolean removeExtraSpaces,
                              boolean legacy, OptionalInt bos, OptionalInt eos, boolean addBos, boolean addEos) {
        boolean prependInNormalizer = legacy && addDummyPrefix;
        Normalizer normalizer = text -> {
            if (removeExtraSpaces) text = text.strip().replaceAll(" {2,}", " ");
            if (prependInNormalizer && !text.isEmpty()) text = "\u2581" + text;
            return text.replace(" ", "\u2581");
        };
        PreTokenizer pre = legacy ? PreTokenizer.NONE : PreTokenizer.fromJson(dev.refusal4j.io.Json.MAPPER.createObjectNode()
                .put("type", "Metaspace").put("replacement", "\u2581")
                .put("prepend_scheme", addDummyPrefix ? "first" : "never").put("split", false));
        List<Decoder> steps = List.of(
                tokens -> tokens.stream().map(t -> t.replace("\u2581", " ")).toList(),
                Decoder::byteFallback,
                tokens -> List.of(String.join("", tokens)),
                tokens -> tokens.stream().map(t -> addDummyPrefix && t.startsWith(" ") ? t.substring(1) : t).toList());
        Decoder decoder = tokens -> {
            for (Decoder d : steps) tokens = d.decodeChain(tokens);
            return tokens;
        };
        int[] prefix = addBos && bos.isPresent() ? new int[]{bos.getAsInt()} : new int[0];
        int[] suffix = addEos && eos.isPresent() ? new int[]{eos.getAsInt()} : new int[0];
        return new PipelineTokenizer(model, normalizer, pre, decoder, added, prefix, suffix, bos, eos);
    }
}
