package dev.refusal4j.optimize;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A search's record, {@code journal.jsonl}: a header line (the model's fingerprint, the seed and
 * the settings that decide the objectives), then one line per finished trial, appended with one
 * write and forced to disk before the next trial starts. Lines are never rewritten; a last line
 * without its newline is a trial killed while it was being written, and is cut off before the next
 * append. A journal of another model or other settings is refused before anything is written.
 */
public final class Journal {
    public static final String FILE = "journal.jsonl";

    /** @param settings everything besides the model that changes a trial's numbers (prompts, generation length, seed, …) */
    public record Header(String model, String fingerprint, Map<String, String> settings) {}

    /** A finished trial; a pruned one has no refusal rate (NaN). */
    public record Entry(int trial, boolean pruned, double refusalRate, double kl, double seconds, Map<String, Double> params) {
        double[] objectives() {
            return pruned ? null : new double[] {refusalRate, kl};
        }
    }

    private final Path file;
    private final Header header;
    private final List<Entry> entries;
    private long validBytes; // where the next line goes: after the last complete line

    private Journal(Path file, Header header, List<Entry> entries, long validBytes) {
        this.file = file;
        this.header = header;
        this.entries = entries;
        this.validBytes = validBytes;
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    public Header header() {
        return header;
    }

    /** Reads a journal, checking every line, without creating or changing anything. */
    public static Journal read(Path file, SearchSpace space) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": no journal here (run 'refusal4j optimize --out DIR' first)");
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') end--;   // a torn last line is not part of the journal
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        String[] lines = text.isEmpty() ? new String[0] : text.split("\n");
        if (lines.length == 0) throw new IllegalArgumentException(file + ": the journal has no header line");
        Header h;
        try {
            JsonNode n = Json.MAPPER.readTree(lines[0]);
            Map<String, String> settings = new LinkedHashMap<>();
            n.get("settings").properties().forEach(e -> settings.put(e.getKey(), e.getValue().asText()));
            h = new Header(n.get("model").asText(), n.get("fingerprint").asText(), settings);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(file + ": line 1 is not a refusal4j optimize journal header");
        }
        List<Entry> list = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            Entry e;
            try {
                JsonNode n = Json.MAPPER.readTree(lines[i]);
                Map<String, Double> params = new LinkedHashMap<>();
                n.get("params").properties().forEach(p -> params.put(p.getKey(), p.getValue().asDouble()));
                boolean pruned = n.get("state").asText().equals("pruned");
                e = new Entry(n.get("trial").asInt(), pruned, pruned ? Double.NaN : n.get("refusal_rate").asDouble(), n.get("kl").asDouble(),
                        n.get("seconds").asDouble(), params);
            } catch (IOException | RuntimeException ex) {
                throw new IllegalArgumentException(file + ": line " + (i + 1) + " is not a trial record");
            }
            if (e.trial() != list.size()) throw new IllegalArgumentException(file + ": line " + (i + 1) + " is trial " + e.trial() + ", expected " + list.size());
            try {
                if (space != null) space.check(e.params());
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(file + ": line " + (i + 1) + ": " + ex.getMessage());
            }
            list.add(e);
        }
        return new Journal(file, h, list, end);
    }

    /**
     * The journal of {@code dir} for a search described by {@code header}: a new one (with its
     * header written) when there is none, else the existing one, which must have the same header.
     */
    public static Journal openOrCreate(Path dir, Header header, SearchSpace space) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file) || Files.size(file) == 0 || firstLineTorn(file)) {
            Files.createDirectories(dir);
            Journal j = new Journal(file, header, new ArrayList<>(), 0);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("study", "refusal4j optimize");
            line.put("model", header.model());
            line.put("fingerprint", header.fingerprint());
            line.put("settings", header.settings());
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap((Json.LINE.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
                j.validBytes = ch.size();
            }
            return j;
        }
        Journal j = read(file, null);   // the header first: another model's trials would not fit this model's ranges
        if (!j.header.fingerprint().equals(header.fingerprint())) {
            throw new IllegalArgumentException(file + ": this journal is of the model " + j.header.model() + " (fingerprint " + j.header.fingerprint()
                    + "), not of " + header.model() + "; use another --out");
        }
        for (var e : header.settings().entrySet()) {
            String was = j.header.settings().get(e.getKey());
            if (!e.getValue().equals(was)) {
                throw new IllegalArgumentException(file + ": the journal's trials were run with " + e.getKey() + " " + was + ", not " + e.getValue()
                        + "; resume with the same options or use another --out");
            }
        }
        return read(file, space);
    }

    private static boolean firstLineTorn(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            for (int b; (b = in.read()) >= 0; ) if (b == '\n') return false;
        }
        return true;
    }

    /** Appends one trial: a single write after the last complete line, forced to disk. */
    public void append(Entry e) throws IOException {
        if (e.trial() != entries.size()) throw new IllegalStateException("trial " + e.trial() + " appended after " + entries.size() + " trials");
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("trial", e.trial());
        line.put("state", e.pruned() ? "pruned" : "complete");
        if (!e.pruned()) line.put("refusal_rate", e.refusalRate());
        line.put("kl", e.kl());
        line.put("seconds", Math.round(e.seconds() * 1000) / 1000.0);
        line.put("params", e.params());
        byte[] bytes = (Json.LINE.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            if (ch.size() > validBytes) ch.truncate(validBytes);   // a torn line left by a killed search
            ByteBuffer bb = ByteBuffer.wrap(bytes);
            long pos = validBytes;
            while (bb.hasRemaining()) pos += ch.write(bb, pos);
            ch.force(true);
            validBytes = pos;
        }
        entries.add(e);
    }
}
