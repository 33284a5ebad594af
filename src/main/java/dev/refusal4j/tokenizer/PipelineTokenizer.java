package dev.refusal4j.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Hugging Face's encoding pipeline: added tokens are cut out of the raw text, the rest is
 * normalized, normalized added tokens are cut out, the rest is pre-tokenized into words, and the
 * model encodes each word; the post-processor wraps the ids when special tokens are asked for.
 * Every tokenizer format of this package loads into one of these.
 */
final class PipelineTokenizer implements Tokenizer {
    private final Model model;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final Decoder decoder;
    private final int[] prefixIds, suffixIds; // what the post-processor adds around a single sequence
    private final Map<Integer, AddedToken> addedById = new HashMap<>();
    private final Map<String, AddedToken> addedByContent = new HashMap<>();
    private final AddedTokenMatcher rawMatcher, normalizedMatcher;
    private final OptionalInt bos, eos;
    private final int vocabSize;

    PipelineTokenizer(Model model, Normalizer normalizer, PreTokenizer preTokenizer, Decoder decoder,
                      List<AddedToken> added, int[] prefixIds, int[] suffixIds, OptionalInt bos, OptionalInt eos) {
        this.model = model;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.decoder = decoder;
        this.prefixIds = prefixIds;
        this.suffixIds = suffixIds;
        this.bos = bos;
        this.eos = eos;
        List<AddedToken> raw = new ArrayList<>(), norm = new ArrayList<>();
        List<String> rawPatterns = new ArrayList<>(), normPatterns = new ArrayList<>();
        int size = model.size();
        for (AddedToken t : added) {
            // Hugging Face gives an added token that the model's vocabulary already has the model's id.
            int modelId = model.id(t.content());
            if (modelId >= 0 && modelId != t.id()) {
                t = new AddedToken(modelId, t.content(), t.singleWord(), t.lstrip(), t.rstrip(), t.normalized(), t.special());
            }
            addedById.put(t.id(), t);
            addedByContent.put(t.content(), t);
            size = Math.max(size, t.id() + 1);
            if (t.normalized()) {
                norm.add(t);
                normPatterns.add(normalizer.normalize(t.content()));
            } else {
                raw.add(t);
                rawPatterns.add(t.content());
            }
        }
        this.vocabSize = size;
        rawMatcher = new AddedTokenMatcher(raw, rawPatterns);
        normalizedMatcher = new AddedTokenMatcher(norm, normPatterns);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList out = new IntList(text.length() / 3 + 8);
        if (addSpecialTokens) out.addAll(prefixIds);
        for (AddedTokenMatcher.Segment seg : rawMatcher.split(text)) {
            if (seg.id() >= 0) {
                out.add(seg.id());
                continue;
            }
            String normalized = normalizer.normalize(seg.text());
            for (AddedTokenMatcher.Segment part : normalizedMatcher.split(normalized)) {
                if (part.id() >= 0) {
                    out.add(part.id());
                    continue;
                }
                boolean atStart = seg.start() == 0 && part.start() == 0;
                for (String word : preTokenizer.split(List.of(part.text()), atStart)) model.encode(word, out);
            }
        }
        if (addSpecialTokens) out.addAll(suffixIds);
        return out.toArray();
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            AddedToken t = addedById.get(id);
            String s = t != null ? t.content() : model.token(id);
            if (s == null) continue;
            if (skipSpecialTokens && isSpecialContent(s)) continue;
            tokens.add(s);
        }
        return decoder.decode(tokens);
    }

    private boolean isSpecialContent(String s) {
        AddedToken t = addedByContent.get(s);
        return t != null && t.special();
    }

    @Override
    public String piece(int id) {
        AddedToken t = addedById.get(id);
        String s = t != null ? t.content() : model.token(id);
        if (s == null) throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (size " + vocabSize + ")");
        return s;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public OptionalInt tokenId(String token) {
        AddedToken t = addedByContent.get(token);
        if (t != null) return OptionalInt.of(t.id());
        int id = model.id(token);
        return id >= 0 ? OptionalInt.of(id) : OptionalInt.empty();
    }

    @Override
    public boolean isSpecial(int id) {
        AddedToken t = addedById.get(id);
        return t != null && t.special();
    }

    @Override
    public OptionalInt bosId() {
        return bos;
    }

    @Override
    public OptionalInt eosId() {
        return eos;
    }
}
