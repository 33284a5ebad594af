package dev.refusal4j.tokenizer;

import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TextFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.OptionalInt;

/**
 * Loads a tiktoken BPE file (one "base64-token rank" a line) as Qwen-1's tokenizer uses it:
 * NFC, Qwen's split pattern, byte-level BPE that merges the pair of lowest rank first, and
 * Qwen-1's special tokens numbered after the ranks: <|endoftext|>, <|im_start|>, <|im_end|>,
 * <|extra_0|> .. <|extra_204|>, all recognized inside text.
 */
final class Tiktoken {
    private Tiktoken() {}

    static final int EXTRA_TOKENS = 205;

    static Tokenizer load(Path file) {
        List<String> lines;
        try {
            lines = TextFiles.readLines(file);
        } catch (ModelFormatException e) { // not UTF-8: the message names the file, byte and line
            throw new TokenizerException(e.getMessage(), e);
        } catch (IOException e) {
            throw new TokenizerException(file + ": cannot read: " + e.getMessage(), e);
        }
        List<String> tokens = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            int sp = line.indexOf(' ');
            if (sp <= 0) throw new TokenizerException(file + ": line " + (i + 1) + " is not \"<base64 token> <rank>\"");
            byte[] bytes;
            int rank;
            try {
                bytes = Base64.getDecoder().decode(line.substring(0, sp));
                rank = Integer.parseInt(line.substring(sp + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new TokenizerException(file + ": line " + (i + 1) + ": " + e.getMessage(), e);
            }
            if (rank != tokens.size()) {
                throw new TokenizerException(file + ": line " + (i + 1) + " has rank " + rank + ", expected " + tokens.size() + " (ranks must count up from 0)");
            }
            tokens.add(asByteLevel(bytes));
        }
        if (tokens.size() < 256) throw new TokenizerException(file + ": only " + tokens.size() + " ranks; a byte-level BPE needs all 256 bytes");
        return build(tokens);
    }

    /** The token's bytes as GPT-2 printable characters, so pieces look like Hugging Face's vocab.json. */
    private static String asByteLevel(byte[] bytes) {
        char[] c = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) c[i] = ByteLevel.charOf(bytes[i]);
        return new String(c);
    }

    static Tokenizer build(List<String> ranked) {
        int n = ranked.size();
        String[] pieces = ranked.toArray(String[]::new);
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            scores[i] = -i; // lower rank merges first
            types[i] = 1;
        }
        // every single byte is a rank, so no symbol is ever unknown
        Model model = new SentencePieceModel(pieces, scores, types, 0, false);
        List<AddedToken> special = new ArrayList<>();
        List<String> names = new ArrayList<>(List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"));
        for (int i = 0; i < EXTRA_TOKENS; i++) names.add("<|extra_" + i + "|>");
        for (int i = 0; i < names.size(); i++) special.add(AddedToken.special(n + i, names.get(i)));
        PreTokenizer pre = PreTokenizer.sequence(List.of(
                PreTokenizer.regexSplit(Regexes.compile(Regexes.QWEN2), false, Splitter.Behavior.ISOLATED),
                PreTokenizer.byteLevel(false, false)));
        Normalizer nfc = text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
        return new PipelineTokenizer(model, nfc, pre, Decoder::byteLevel, special, new int[0], new int[0],
                OptionalInt.empty(), OptionalInt.of(n));
    }
}
