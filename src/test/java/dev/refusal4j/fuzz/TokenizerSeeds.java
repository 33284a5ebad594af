package dev.refusal4j.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.testutil.Shared;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Small valid tokenizers of every format, cut down from the real files in {@code ../shared} (and the
 * bundled organism's) so that one load takes milliseconds: the first {@link #N} vocabulary entries,
 * the merges among them, and every other field as the real file has it.
 */
final class TokenizerSeeds {
    private TokenizerSeeds() {}

    static final int N = 600;

    /**
     * A tokenizer as files: {@code target} is what {@code Tokenizer.load} is given (the folder, "",
     * or one file's name).
     */
    record Seed(String name, Map<String, byte[]> files, String target) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Seed> all() throws IOException {
        Path hf = Shared.path("tokenizers", "hf");
        List<Seed> out = new ArrayList<>();
        out.add(new Seed("organism tokenizer.json", files(Path.of("models", "organism"),
                "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"), ""));
        Map<String, byte[]> llama = new LinkedHashMap<>();
        llama.put("tokenizer.json", bpeJson(hf.resolve("tinyllama-chat/tokenizer.json")));
        llama.put("tokenizer_config.json", Files.readAllBytes(hf.resolve("tinyllama-chat/tokenizer_config.json")));
        llama.put("special_tokens_map.json", Files.readAllBytes(hf.resolve("tinyllama-chat/special_tokens_map.json")));
        out.add(new Seed("tinyllama tokenizer.json (cut)", llama, ""));
        out.add(new Seed("falcon tokenizer.json (cut)", Map.of("tokenizer.json", bpeJson(hf.resolve("falcon/tokenizer.json"))), ""));
        out.add(new Seed("qwen2.5 vocab.json + merges.txt (cut)", vocabMerges(hf.resolve("qwen2.5-vocab-merges")), ""));
        out.add(new Seed("tinyllama tokenizer.model (cut)", Map.of("tokenizer.model",
                sentencePiece(Files.readAllBytes(hf.resolve("tinyllama-chat/tokenizer.model")))), ""));
        out.add(new Seed("qwen tiktoken", Map.of("qwen.tiktoken", tiktoken()), ""));
        Path llamacpp = Shared.path("tokenizers", "llamacpp");
        out.add(new Seed("llama-spm gguf (cut)", Map.of("vocab.gguf", gguf(llamacpp.resolve("ggml-vocab-llama-spm.gguf"))), "vocab.gguf"));
        out.add(new Seed("gpt-2 gguf (cut)", Map.of("vocab.gguf", gguf(llamacpp.resolve("ggml-vocab-gpt-2.gguf"))), "vocab.gguf"));
        out.add(new Seed("bert gguf (cut)", Map.of("vocab.gguf", gguf(llamacpp.resolve("ggml-vocab-bert-bge.gguf"))), "vocab.gguf"));
        return out;
    }

    private static Map<String, byte[]> files(Path dir, String... names) throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (String n : names) m.put(n, Files.readAllBytes(dir.resolve(n)));
        return m;
    }

    /** A BPE tokenizer.json with its vocabulary cut to ids below N and the merges among them. */
    static byte[] bpeJson(Path file) throws IOException {
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(file.toFile());
        ObjectNode model = (ObjectNode) root.get("model");
        ObjectNode vocab = Json.MAPPER.createObjectNode();
        model.get("vocab").properties().forEach(e -> {
            if (e.getValue().asInt() < N) vocab.set(e.getKey(), e.getValue());
        });
        ArrayNode merges = Json.MAPPER.createArrayNode();
        for (JsonNode m : model.get("merges")) {
            String a, b;
            if (m.isArray()) {
                a = m.get(0).asText();
                b = m.get(1).asText();
            } else {
                String[] ab = m.asText().split(" ", 2);
                a = ab[0];
                b = ab[1];
            }
            if (vocab.has(a) && vocab.has(b) && vocab.has(a + b)) merges.add(m);
        }
        model.set("vocab", vocab);
        model.set("merges", merges);
        return Json.MAPPER.writeValueAsBytes(root);
    }

    static Map<String, byte[]> vocabMerges(Path dir) throws IOException {
        JsonNode vocab = Json.MAPPER.readTree(dir.resolve("vocab.json").toFile());
        ObjectNode cut = Json.MAPPER.createObjectNode();
        vocab.properties().forEach(e -> {
            if (e.getValue().asInt() < N) cut.set(e.getKey(), e.getValue());
        });
        StringBuilder merges = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("merges.txt"))) {
            if (line.startsWith("#version")) {
                merges.append(line).append('\n');
                continue;
            }
            String[] ab = line.split(" ");
            if (ab.length == 2 && cut.has(ab[0]) && cut.has(ab[1]) && cut.has(ab[0] + ab[1])) merges.append(line).append('\n');
        }
        ObjectNode config = (ObjectNode) Json.MAPPER.readTree(dir.resolve("tokenizer_config.json").toFile());
        config.remove("chat_template");
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("vocab.json", Json.MAPPER.writeValueAsBytes(cut));
        m.put("merges.txt", merges.toString().getBytes(StandardCharsets.UTF_8));
        m.put("tokenizer_config.json", Json.MAPPER.writeValueAsBytes(config));
        m.put("special_tokens_map.json", Files.readAllBytes(dir.resolve("special_tokens_map.json")));
        return m;
    }

    /** A SentencePiece ModelProto with its first N pieces (field 1) and every other record kept. */
    static byte[] sentencePiece(byte[] model) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0, pieces = 0;
        while (pos < model.length) {
            int start = pos;
            long[] key = varint(model, pos);
            pos = (int) key[1];
            int field = (int) (key[0] >>> 3), wire = (int) (key[0] & 7);
            switch (wire) {
                case 0 -> pos = (int) varint(model, pos)[1];
                case 1 -> pos += 8;
                case 2 -> {
                    long[] len = varint(model, pos);
                    pos = (int) (len[1] + len[0]);
                }
                case 5 -> pos += 4;
                default -> throw new IllegalStateException("wire type " + wire);
            }
            if (field != 1 || pieces++ < N) out.write(model, start, pos - start);
        }
        return out.toByteArray();
    }

    /** {value, position after it} */
    private static long[] varint(byte[] b, int pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b[pos++];
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) return new long[]{v, pos};
        }
    }

    /** A tiktoken file: the 256 bytes, then every pair of "ab", "cd", ... and a few longer pieces. */
    static byte[] tiktoken() {
        List<byte[]> ranks = new ArrayList<>();
        for (int b = 0; b < 256; b++) ranks.add(new byte[]{(byte) b});
        for (String s : List.of("th", "he", "in", "er", "an", " t", " a", "the", " the", "ing", "hello", " world", "é")) {
            ranks.add(s.getBytes(StandardCharsets.UTF_8));
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ranks.size(); i++) sb.append(Base64.getEncoder().encodeToString(ranks.get(i))).append(' ').append(i).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A vocabulary-only GGUF: the tokenizer.ggml.* keys of a real file, arrays cut to the first N tokens. */
    static byte[] gguf(Path file) {
        GgufFile g = GgufReader.read(file);
        GgufWriter w = new GgufWriter();
        String[] tokens = g.strings("tokenizer.ggml.tokens");
        String[] kept = Arrays.copyOf(tokens, Math.min(N, tokens.length));
        Set<String> keptSet = new HashSet<>(Arrays.asList(kept));
        w.putString("general.architecture", g.has("general.architecture") ? g.string("general.architecture") : "llama");
        for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
            String k = e.getKey();
            Object v = e.getValue();
            if (!k.startsWith("tokenizer.ggml.")) continue;
            switch (v) {
                case String s -> w.putString(k, s);
                case Boolean b -> w.putBool(k, b);
                case Integer i -> w.putUInt32(k, k.endsWith("_id") && i >= kept.length ? 0 : i);
                case Long l -> w.putUInt32(k, k.endsWith("_id") && l >= kept.length ? 0 : l);
                case float[] f -> w.putFloat32Array(k, Arrays.copyOf(f, kept.length));
                case int[] a -> w.putInt32Array(k, Arrays.copyOf(a, kept.length));
                case String[] a when k.equals("tokenizer.ggml.tokens") -> w.putStringArray(k, List.of(kept));
                case String[] a when k.equals("tokenizer.ggml.merges") -> {
                    List<String> merges = new ArrayList<>();
                    for (String m : a) {
                        String[] ab = m.split(" ");
                        if (ab.length == 2 && keptSet.contains(ab[0]) && keptSet.contains(ab[1]) && keptSet.contains(ab[0] + ab[1])) merges.add(m);
                    }
                    w.putStringArray(k, merges);
                }
                default -> { }
            }
        }
        return w.toBytes();
    }
}
