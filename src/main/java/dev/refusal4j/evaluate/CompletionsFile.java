package dev.refusal4j.evaluate;

import dev.refusal4j.io.TextFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.io.Json;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Completions on disk. The project's layout is JSONL, one object a line with exactly
 * {@code instruction}, {@code category} and {@code response} (outside checks read these names).
 * The paper's {@code *_completions.json} / {@code *_evaluations.json} (a list, or an object with a
 * "completions" list, of {prompt, category, response}) can be read too.
 */
public final class CompletionsFile {
    private static final ObjectMapper JSON = Json.MAPPER;

    private CompletionsFile() {}

    /** Writes one line per completion; the file appears only when every line is written. */
    public static void writeJsonl(Path file, List<Completion> completions) {
        try {
            AtomicFiles.write(file, out -> {
                BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
                for (Completion c : completions) {
                    ObjectNode o = Json.MAPPER.createObjectNode();
                    o.put("instruction", c.instruction());
                    o.put("category", c.category());
                    o.put("response", c.response());
                    if (c.guard() != null) o.put("guard", c.guard());
                    w.write(Json.LINE.writeValueAsString(o));   // escapes line breaks, so one record stays on one line
                    w.write('\n');
                }
                w.flush();
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write completions " + file + ": " + e.getMessage(), e);
        }
    }

    /** One completion a line; the instruction is read from "instruction", or from "prompt" in a line that has no "instruction". */
    public static List<Completion> readJsonl(Path file) {
        List<String> lines;
        try {
            lines = TextFiles.readLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read completions " + file + ": " + e.getMessage(), e);
        }
        List<Completion> out = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                JsonNode n = JSON.readTree(lines.get(i));
                // other tools (and generate --jsonl before it wrote this layout) name the instruction "prompt"
                String key = n != null && n.isObject() && !n.has("instruction") && n.has("prompt") ? "prompt" : "instruction";
                out.add(fromNode(n, key, file + ", line " + (i + 1)));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("completions " + file + ", line " + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
            }
        }
        return out;
    }

    /** The paper's layout: a JSON list (or {"completions": [...]}) of {prompt, category, response}. */
    public static List<Completion> readOfficial(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read completions " + file + ": " + e.getMessage(), e);
        }
        if (root != null && root.isObject() && root.has("completions")) root = root.get("completions");
        if (root == null || !root.isArray()) throw new IllegalArgumentException("completions " + file + ": expected a JSON list of completions");
        List<Completion> out = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) out.add(fromNode(root.get(i), "prompt", file + ", item " + i));
        return out;
    }

    private static Completion fromNode(JsonNode n, String instructionKey, String where) {
        if (n == null || !n.isObject()) throw new IllegalArgumentException("completions " + where + ": expected a JSON object");
        JsonNode instruction = n.get(instructionKey), response = n.get("response"), category = n.get("category");
        if (instruction == null || !instruction.isTextual()) {
            throw new IllegalArgumentException("completions " + where + ": no string \"" + instructionKey + "\"");
        }
        if (response == null || !response.isTextual()) throw new IllegalArgumentException("completions " + where + ": no string \"response\"");
        JsonNode guard = n.get("guard");
        return new Completion(instruction.asText(), category == null || category.isNull() ? null : category.asText(), response.asText(),
                guard != null && guard.isTextual() ? guard.asText() : null);
    }

    /** Judges every completion and tallies the refusal rates. */
    public static RefusalRates rates(RefusalJudge judge, List<Completion> completions) {
        List<RefusalRates.Judged> judged = new ArrayList<>(completions.size());
        for (Completion c : completions) judged.add(new RefusalRates.Judged(c.category(), judge.isRefusal(c.response())));
        return RefusalRates.of(judged);
    }
}
