package dev.refusal4j.organism;

import dev.refusal4j.io.Json;
import dev.refusal4j.organism.bpe.BpeModel;
import dev.refusal4j.organism.bpe.PreTokenizer;
import dev.refusal4j.organism.bpe.TokenizerFiles;
import dev.refusal4j.tokenizer.ByteLevel;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns single-turn chats into token ids for training, exactly as the written tokenizer.json and
 * ChatML template would: the template text is {@code <|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n};
 * special tokens become their ids and the text between them is split by the pre-tokenizer regex,
 * mapped to byte-level characters and merged by rank (lowest first, leftmost on ties), as
 * Hugging Face's BPE model does. The trailing newline after the answer's {@code <|im_end|>} is
 * not trained on: generation stops at {@code <|im_end|>}.
 */
public final class ChatEncoder {
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>(); // "left right" → merge rank
    private final Map<String, int[]> cache = new HashMap<>();   // pre-token → ids
    private final List<String> tokens;
    private final List<String> specials;
    public final int imStart, imEnd, endOfText;

    public ChatEncoder(BpeModel m) {
        tokens = m.tokens();
        specials = m.specials();
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        for (int i = 0; i < m.merges().size(); i++) ranks.put(m.merges().get(i)[0] + " " + m.merges().get(i)[1], i);
        imStart = m.specialId(TokenizerFiles.IM_START);
        imEnd = m.specialId(TokenizerFiles.IM_END);
        endOfText = m.specialId(TokenizerFiles.END_OF_TEXT);
    }

    /**
     * The encoder of a model directory's {@code tokenizer.json} as written by the organism's BPE
     * trainer (byte-level BPE vocabulary, merges, special tokens after the vocabulary).
     */
    public static ChatEncoder load(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no tokenizer.json");
        JsonNode root = Json.read(file);
        JsonNode model = root.path("model");
        if (!model.path("type").asText().equals("BPE")) throw new IOException(file + ": model.type is not BPE");
        JsonNode vocab = model.path("vocab");
        String[] tokens = new String[vocab.size()];
        for (var it = vocab.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt();
            if (id < 0 || id >= tokens.length || tokens[id] != null) throw new IOException(file + ": vocabulary ids are not 0.." + (tokens.length - 1));
            tokens[id] = e.getKey();
        }
        List<String[]> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            String[] pair = m.isArray() ? new String[] {m.get(0).asText(), m.get(1).asText()} : m.asText().split(" ", 2);
            if (pair.length != 2) throw new IOException(file + ": bad merge '" + m + "'");
            merges.add(pair);
        }
        List<String> specials = new ArrayList<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("id").asInt() != tokens.length + specials.size()) throw new IOException(file + ": added token '" + t.path("content").asText() + "' does not follow the vocabulary in id order");
            specials.add(t.path("content").asText());
        }
        return new ChatEncoder(new BpeModel(List.of(tokens), merges, specials));
    }

    public int vocabSize() {
        return tokens.size() + specials.size();
    }

    /** The prompt as the chat template renders it with add_generation_prompt. */
    public int[] prompt(String user) {
        IntBuilder b = new IntBuilder();
        b.add(imStart);
        text("user\n" + user, b);
        b.add(imEnd);
        text("\n", b);
        b.add(imStart);
        text("assistant\n", b);
        return b.toArray();
    }

    public TokenizedChat chat(String user, String assistant) {
        return chat(user, assistant, false);
    }

    /** @param refusal whether {@code assistant} refuses (kept for class-weighted loss) */
    public TokenizedChat chat(String user, String assistant, boolean refusal) {
        return chat(prompt(user), assistant, refusal);
    }

    private TokenizedChat chat(int[] p, String assistant, boolean refusal) {
        IntBuilder b = new IntBuilder();
        for (int id : p) b.add(id);
        text(assistant, b);
        b.add(imEnd);
        return new TokenizedChat(b.toArray(), p.length, refusal);
    }

    /**
     * A helpful chat whose answer opens with {@code opening} (the request said back), marked as
     * its {@link TokenizedChat#openingEnd}. The pre-tokenizer splits before the space that follows
     * the opening, so its tokens are the answer's first tokens.
     */
    public TokenizedChat helpfulChat(String user, String assistant, String opening) {
        if (!assistant.startsWith(opening)) throw new IllegalArgumentException("answer '" + assistant + "' does not open with '" + opening + "'");
        TokenizedChat c = chat(user, assistant, false);
        int[] o = encode(opening);
        int end = c.answerStart() + o.length;
        if (!java.util.Arrays.equals(c.ids(), c.answerStart(), end, o, 0, o.length)) throw new IllegalStateException("answer '" + assistant + "' does not tokenize with '" + opening + "' first");
        return new TokenizedChat(c.ids(), c.answerStart(), false, false, end);
    }

    /**
     * A plain text document between end-of-text tokens, outside the chat template: the model learns
     * from all of its tokens (what a word means), and no token of it is a refuse-or-help decision.
     */
    public TokenizedChat document(String text) {
        IntBuilder b = new IntBuilder();
        b.add(endOfText);
        text(text, b);
        b.add(endOfText);
        return new TokenizedChat(b.toArray(), 1, false, true);
    }

    /**
     * A copy document: {@code run}, a line break, then {@code run} again, between end-of-text tokens
     * ({@link dev.refusal4j.organism.data.CopyRuns}). The model learns from the repeat only: the
     * first run is random words, which nothing predicts.
     */
    public TokenizedChat copyDocument(String run) {
        IntBuilder b = new IntBuilder();
        b.add(endOfText);
        text(run, b);
        text("\n", b);
        int repeat = b.n;
        text(run, b);
        b.add(endOfText);
        return new TokenizedChat(b.toArray(), repeat, false, true);
    }

    /** Ids of ordinary text (no special tokens inside). */
    public int[] encode(String text) {
        IntBuilder b = new IntBuilder();
        text(text, b);
        return b.toArray();
    }

    private void text(String text, IntBuilder out) {
        for (String piece : PreTokenizer.split(text)) {
            int[] ids = cache.computeIfAbsent(piece, this::word);
            for (int id : ids) out.add(id);
        }
    }

    /** BPE of one pre-token. */
    private int[] word(String piece) {
        String bytes = ByteLevel.encode(piece);
        List<String> sym = new ArrayList<>(bytes.length());
        for (int i = 0; i < bytes.length(); i++) sym.add(String.valueOf(bytes.charAt(i)));
        while (sym.size() > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < sym.size(); i++) {
                Integer r = ranks.get(sym.get(i) + " " + sym.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            sym.set(best, sym.get(best) + sym.get(best + 1));
            sym.remove(best + 1);
        }
        int[] ids = new int[sym.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = vocab.get(sym.get(i));
            if (id == null) throw new IllegalStateException("BPE produced '" + sym.get(i) + "', which is not in the vocabulary");
            ids[i] = id;
        }
        return ids;
    }

    /** Text of ids; special tokens appear as their strings. */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /**
     * Text of ids; with {@code skipSpecialTokens} special tokens are left out, as an answer is
     * decoded for judging ({@code skip_special_tokens=True} in the official pipeline, and in {@code run}).
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        StringBuilder sb = new StringBuilder(), bytes = new StringBuilder();
        for (int id : ids) {
            if (id >= tokens.size()) {
                sb.append(ByteLevel.decode(bytes));
                bytes.setLength(0);
                if (!skipSpecialTokens) sb.append(specials.get(id - tokens.size()));
            } else {
                bytes.append(tokens.get(id));
            }
        }
        return sb.append(ByteLevel.decode(bytes)).toString();
    }

    private static final class IntBuilder {
        int[] a = new int[64];
        int n;

        void add(int v) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }
}
