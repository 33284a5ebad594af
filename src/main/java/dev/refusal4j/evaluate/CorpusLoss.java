package dev.refusal4j.evaluate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.ProgressListener;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Batches;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tensor.LogSoftmax;
import dev.refusal4j.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * The paper's loss on plain text (the Pile in evaluate_loss.py: {@code batch_iterator_pile} and
 * {@code compute_loss_over_dataset}): the mean cross-entropy per token of the first {@link #window}
 * tokens of each document, under a condition's hooks, so that baseline, ablation and activation
 * addition are compared on the same tokens.
 *
 * <p>What counts, as the official code counts it:
 * <ul>
 *   <li>Each document is tokenized on its own as Hugging Face's {@code tokenizer(text)} does, with
 *       the special tokens its post-processor adds (Llama and Gemma put BOS first, Qwen adds
 *       none), and cut to its first {@code window} tokens ({@code truncation=True,
 *       max_length=256}; the special tokens stay). The rest of a long document is not read:
 *       documents are neither concatenated nor strided.</li>
 *   <li>Every token of a window after its first is predicted from the ones before it, so a window
 *       of n tokens gives n − 1 terms (the official mask is the attention mask of a left-padded
 *       batch with its last column cleared).</li>
 *   <li>The loss is the sum of −log p over every term of every document divided by the number
 *       of terms ({@link CrossEntropy}).</li>
 * </ul>
 * The paper reads {@link #PAPER_DOCUMENTS} documents of the Pile's uncopyrighted train split in
 * stream order ({@code ce_loss_n_batches} 2048 × {@code ce_loss_batch_size} 2) with
 * {@link #PAPER_WINDOW}. The batch size only groups the work: positions count from each
 * document's first token and padding is never predicted, so every batch size gives the same loss
 * up to float rounding.
 *
 * <p>Corpus files: a {@code .jsonl} file holds one JSON object a line with a string {@code "text"}
 * (the Pile's layout; other fields are ignored); any other file is UTF-8 text with one document a
 * line. Blank lines are skipped in both. Documents are read in file order.
 * <pre>
 *   CorpusLoss corpus = CorpusLoss.read(file, tokenizer, CorpusLoss.PAPER_WINDOW, CorpusLoss.PAPER_DOCUMENTS);
 *   CrossEntropy base = corpus.crossEntropy(model, null, CorpusLoss.PAPER_BATCH, ProgressListener.NONE);
 *   CrossEntropy abl  = corpus.crossEntropy(model, ablationHooks, CorpusLoss.PAPER_BATCH, ProgressListener.NONE);
 * </pre>
 */
public final class CorpusLoss {
    /** evaluate_loss's {@code max_seq_length}: tokens read from each document. */
    public static final int PAPER_WINDOW = 256;
    /** The official config's {@code ce_loss_n_batches} × {@code ce_loss_batch_size}. */
    public static final int PAPER_DOCUMENTS = 2048 * 2;
    /** The official config's {@code ce_loss_batch_size}. */
    public static final int PAPER_BATCH = 2;

    /** One document's tokens and where it came from ("corpus.jsonl, line 7"), for messages. */
    private record Window(String where, int[] ids, boolean truncated) {}

    private final String source;
    private final int window;
    private final List<Window> windows;

    private CorpusLoss(String source, int window, List<Window> windows) {
        this.source = source;
        this.window = window;
        this.windows = windows;
    }

    /**
     * Reads and tokenizes the first {@code maxDocuments} documents of {@code file}. Errors name the
     * file and line: a file that is missing, not UTF-8 or holds no document; a JSONL line that is
     * not an object with a non-empty string "text".
     */
    public static CorpusLoss read(Path file, Tokenizer tokenizer, int window, int maxDocuments) {
        if (window < 2) throw new IllegalArgumentException("corpus window of " + window + " tokens: at least 2 are needed to predict one");
        if (maxDocuments < 1) throw new IllegalArgumentException("corpus documents " + maxDocuments + ": at least 1");
        boolean jsonl = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jsonl");
        List<Window> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while (out.size() < maxDocuments && (line = r.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                String where = "corpus " + file + ", line " + number;
                String text = jsonl ? jsonText(line, where) : line;
                int[] all = tokenizer.encode(text, true);
                int[] ids = truncate(tokenizer, text, all, window);
                out.add(new Window(where, ids, ids.length < all.length));
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("corpus file not found: " + file);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("corpus " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read corpus " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("corpus " + file + " has no documents (" + (jsonl
                    ? "one {\"text\": ...} object a line" : "one document a non-blank line") + ")");
        }
        return check(new CorpusLoss("corpus " + file, window, out));
    }

    /** Documents already tokenized (special tokens included), each cut to {@code window} tokens. */
    public static CorpusLoss ofTokens(String source, List<int[]> documents, int window) {
        if (window < 2) throw new IllegalArgumentException("corpus window of " + window + " tokens: at least 2 are needed to predict one");
        List<Window> out = new ArrayList<>();
        for (int i = 0; i < documents.size(); i++) {
            int[] d = documents.get(i);
            out.add(new Window(source + ", document " + (i + 1), Arrays.copyOf(d, Math.min(d.length, window)), d.length > window));
        }
        if (out.isEmpty()) throw new IllegalArgumentException(source + " has no documents");
        return check(new CorpusLoss(source, window, out));
    }

    private static CorpusLoss check(CorpusLoss c) {
        if (c.tokens() == 0) throw new IllegalArgumentException(c.source + ": no document has two tokens, so there is nothing to predict");
        return c;
    }

    /** How many documents were read. */
    public int documents() {
        return windows.size();
    }

    /** How many predictions every condition is scored on. */
    public long tokens() {
        long n = 0;
        for (Window w : windows) n += Math.max(0, w.ids.length - 1);
        return n;
    }

    /** How many documents were longer than the window. */
    public int truncated() {
        int n = 0;
        for (Window w : windows) if (w.truncated) n++;
        return n;
    }

    public int window() {
        return window;
    }

    /**
     * The mean cross-entropy of the corpus under {@code hooks} (fresh hooks per forward call; null:
     * none). {@code progress} counts documents. A window longer than the model's context is an
     * error naming its document.
     */
    public CrossEntropy crossEntropy(Transformer model, Supplier<Hooks> hooks, int batchSize, ProgressListener progress) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size " + batchSize + ": at least 1");
        List<int[]> seqs = new ArrayList<>();
        for (Window w : windows) {
            if (w.ids.length > model.config.maxPositions) {
                throw new IllegalArgumentException(w.where + ": its window of " + w.ids.length + " tokens does not fit the model's context of "
                        + model.config.maxPositions + " (use a window of at most " + model.config.maxPositions + ")");
            }
            if (w.ids.length >= 2) seqs.add(w.ids);
        }
        int[] from = new int[seqs.size()];   // every token after the first is predicted
        double[] sum = negLogLikelihood(model, seqs, from, hooks, batchSize, progress);
        return CrossEntropy.of(sum[0], (long) sum[1], windows.size(), truncated());
    }

    /**
     * Σ −log p(seq[t+1] | seq[..t]) for t from {@code from[i]} to the sequence's second-last
     * token, over left-padded batches of the sequences: {nats, terms}. Each sequence must have a
     * token of its own (length ≥ 1) and fit the model's context.
     */
    static double[] negLogLikelihood(Transformer model, List<int[]> seqs, int[] from, Supplier<Hooks> hooks, int batchSize,
                                     ProgressListener progress) {
        int V = model.config.vocab;
        double nats = 0;
        long terms = 0, done = 0;
        for (Batches.Batch b : Batches.of(seqs, batchSize).batches()) {
            Hooks h = hooks == null ? Hooks.NONE : hooks.get();
            float[] logits = model.forward(Forward.of(b).hooks(h));   // [batch × slots × vocab]
            int T = b.slots();
            for (int j = 0; j < b.size(); j++) {
                int[] row = b.tokens()[j];
                int pad = b.padding()[j];
                for (int t = pad + from[b.indices()[j]]; t < T - 1; t++) {
                    nats -= LogSoftmax.logProb(logits, (j * T + t) * V, V, row[t + 1]);
                    terms++;
                }
            }
            progress.done(done += b.size());
        }
        return new double[] {nats, terms};
    }

    /**
     * The first {@code window} tokens as Hugging Face truncates one sequence: the text's own tokens
     * are cut so that the special tokens the post-processor adds (a BOS before, an EOS after) still
     * fit, then those are added.
     */
    static int[] truncate(Tokenizer tokenizer, String text, int[] all, int window) {
        if (all.length <= window) return all;
        int[] plain = tokenizer.encode(text, false);
        int added = all.length - plain.length;
        if (added >= 0 && added < window) {
            for (int head = 0; head <= added; head++) {
                if (Arrays.equals(all, head, head + plain.length, plain, 0, plain.length)) {
                    int keep = window - added, tail = added - head;
                    int[] out = new int[window];
                    System.arraycopy(all, 0, out, 0, head);
                    System.arraycopy(plain, 0, out, head, keep);
                    System.arraycopy(all, all.length - tail, out, head + keep, tail);
                    return out;
                }
            }
        }
        return Arrays.copyOf(all, window);
    }

    private static String jsonText(String line, String where) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object with a \"text\" string");
        JsonNode text = node.get("text");
        if (text == null || !text.isTextual()) throw new IllegalArgumentException(where + ": no \"text\" string");
        if (text.asText().isEmpty()) throw new IllegalArgumentException(where + ": the \"text\" is empty");
        return text.asText();
    }
}
