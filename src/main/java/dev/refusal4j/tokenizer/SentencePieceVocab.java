package dev.refusal4j.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The contents of a SentencePiece {@code tokenizer.model} (protobuf ModelProto) as stored: each
 * piece's text, score and type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte),
 * and the trainer and normalizer settings a tokenizer needs. {@link SentencePieceTokenizer} builds
 * the tokenizer from it; GGUF conversion writes it as llama.cpp's "llama" vocabulary.
 */
public record SentencePieceVocab(List<String> pieces, float[] scores, int[] types, int modelType, int unkId, int bosId, int eosId,
                                 boolean byteFallback, boolean addDummyPrefix, boolean removeExtraSpaces, String normalizerName) {
    // ModelProto fields
    private static final int PIECES = 1, TRAINER_SPEC = 2, NORMALIZER_SPEC = 3;
    // SentencePiece message fields
    private static final int PIECE = 1, SCORE = 2, TYPE = 3;
    // TrainerSpec fields
    private static final int MODEL_TYPE = 3, BYTE_FALLBACK = 35, UNK_ID = 40, BOS_ID = 41, EOS_ID = 42;
    // NormalizerSpec fields
    private static final int NORMALIZER_NAME = 1, ADD_DUMMY_PREFIX = 3, REMOVE_EXTRA_WHITESPACES = 4;

    /** Reads a tokenizer.model; a damaged one is a {@link TokenizerException} naming the file. */
    public static SentencePieceVocab read(Path file) {
        try {
            return parse(Files.readAllBytes(file), file);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new TokenizerException(e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage(), e);
        }
    }

    static SentencePieceVocab parse(byte[] bytes, Path file) {
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        int modelType = 1, unkId = 0, bosId = 1, eosId = 2;
        boolean byteFallback = false, addDummyPrefix = true, removeExtraSpaces = true;
        String normalizerName = "";
        Protobuf model = new Protobuf(bytes, 0, bytes.length, file.toString());
        while (model.next()) {
            if (model.field == PIECES && model.wireType == Protobuf.BYTES) {
                Protobuf p = model.message();
                String piece = null;
                float score = 0;
                int type = 1;
                while (p.next()) {
                    if (p.field == PIECE && p.wireType == Protobuf.BYTES) piece = p.string();
                    else if (p.field == SCORE && p.wireType == Protobuf.FIXED32) score = p.fixed32Float();
                    else if (p.field == TYPE && p.wireType == Protobuf.VARINT) type = (int) p.varint();
                    else p.skip();
                }
                if (piece == null) throw new IllegalArgumentException("piece " + pieces.size() + " has no text");
                pieces.add(piece);
                scores.add(score);
                types.add(type);
            } else if (model.field == TRAINER_SPEC && model.wireType == Protobuf.BYTES) {
                Protobuf t = model.message();
                while (t.next()) {
                    if (t.wireType != Protobuf.VARINT) {
                        t.skip();
                        continue;
                    }
                    long v = t.varint();
                    switch (t.field) {
                        case MODEL_TYPE -> modelType = (int) v;
                        case BYTE_FALLBACK -> byteFallback = v != 0;
                        case UNK_ID -> unkId = (int) v;
                        case BOS_ID -> bosId = (int) v;
                        case EOS_ID -> eosId = (int) v;
                        default -> { }
                    }
                }
            } else if (model.field == NORMALIZER_SPEC && model.wireType == Protobuf.BYTES) {
                Protobuf nrm = model.message();
                while (nrm.next()) {
                    if (nrm.field == NORMALIZER_NAME && nrm.wireType == Protobuf.BYTES) normalizerName = nrm.string();
                    else if (nrm.field == ADD_DUMMY_PREFIX && nrm.wireType == Protobuf.VARINT) addDummyPrefix = nrm.varint() != 0;
                    else if (nrm.field == REMOVE_EXTRA_WHITESPACES && nrm.wireType == Protobuf.VARINT) removeExtraSpaces = nrm.varint() != 0;
                    else nrm.skip();
                }
            } else {
                model.skip();
            }
        }
        if (pieces.isEmpty()) throw new IllegalArgumentException("no vocabulary pieces (not a SentencePiece model?)");
        float[] sc = new float[pieces.size()];
        int[] ty = new int[pieces.size()];
        for (int i = 0; i < sc.length; i++) {
            sc[i] = scores.get(i);
            ty[i] = types.get(i);
        }
        return new SentencePieceVocab(List.copyOf(pieces), sc, ty, modelType, unkId, bosId, eosId, byteFallback, addDummyPrefix, removeExtraSpaces, normalizerName);
    }
}
