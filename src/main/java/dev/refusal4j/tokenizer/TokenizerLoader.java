package dev.refusal4j.tokenizer;

import dev.refusal4j.io.ModelPath;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Picks the tokenizer format of a model folder or a tokenizer file and loads it; a GGUF model
 * ({@link ModelPath}: a .gguf file, any part of a split one, or a folder holding one) has its
 * vocabulary in the metadata of its first part.
 */
final class TokenizerLoader {
    private TokenizerLoader() {}

    static Tokenizer load(Path path) {
        ModelPath model = ModelPath.of(path);
        if (model.isGguf()) return GgufTokenizer.load(model.ggufFile());
        if (Files.isRegularFile(path)) {
            String name = path.getFileName().toString();
            if (name.endsWith(".json")) return TokenizerJson.load(path); // a tokenizer.json under any name
            if (name.endsWith(".model") || name.contains(".model.")) return SentencePieceTokenizer.load(path);
            if (name.endsWith(".tiktoken")) return Tiktoken.load(path);
            throw new TokenizerException(path + ": not a tokenizer file (expected a folder, tokenizer.json, *.model, *.tiktoken or *.gguf)");
        }
        if (!Files.isDirectory(path)) throw new TokenizerException(path + ": no such model folder or tokenizer file");
        if (Files.isRegularFile(path.resolve("tokenizer.json"))) return TokenizerJson.load(path.resolve("tokenizer.json"));
        if (Files.isRegularFile(path.resolve("vocab.json")) && Files.isRegularFile(path.resolve("merges.txt"))) return VocabMerges.load(path);
        if (Files.isRegularFile(path.resolve("tokenizer.model"))) return SentencePieceTokenizer.load(path.resolve("tokenizer.model"));
        try (Stream<Path> files = Files.list(path)) {
            Path tiktoken = files.filter(f -> f.getFileName().toString().endsWith(".tiktoken")).sorted().findFirst().orElse(null);
            if (tiktoken != null) return Tiktoken.load(tiktoken);
        } catch (IOException e) {
            throw new TokenizerException(path + ": cannot list folder: " + e.getMessage(), e);
        }
        throw new TokenizerException(path + ": no tokenizer found (looked for tokenizer.json, vocab.json + merges.txt, tokenizer.model, *.tiktoken)");
    }
}
