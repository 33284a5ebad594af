package dev.refusal4j.prompts;

import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TextFiles;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the prompt files users bring, chosen by extension:
 * <ul>
 *   <li>{@code .json}: a list of objects with an instruction key ({@code instruction}, {@code prompt},
 *       {@code goal}, {@code forbidden_prompt}, {@code Behavior}, ...) and an optional category key
 *       ({@code category}, {@code SemanticCategory}, {@code type}), or a list of strings. Alpaca
 *       records ({@code instruction} + {@code input}) become instruction + blank line + input when
 *       the input is not blank, the way Alpaca-style data is usually turned into one user turn
 *       (the paper itself only kept Alpaca records without input);</li>
 *   <li>{@code .jsonl}: one such object (or string) a line;</li>
 *   <li>{@code .csv}: a header row with one of the instruction columns above (and optionally a
 *       category column); HarmBench's {@code ContextString}, when present and not blank, is put
 *       before the behavior as HarmBench does: context + "\n\n---\n\n" + behavior;</li>
 *   <li>anything else: plain text, one prompt a line, blank lines skipped.</li>
 * </ul>
 * Instructions are stripped of surrounding whitespace, as the paper's preprocessing does. A file
 * that is not UTF-8, or a prompt longer than {@link #MAX_PROMPT_CHARS}, is an error naming the file.
 */
public final class PromptLoader {
    /** Instruction keys and columns, in order of preference (JailbreakBench has both Goal and Behavior: Goal wins). */
    static final String[] INSTRUCTION_KEYS = {"instruction", "prompt", "goal", "forbidden_prompt", "behavior", "question", "text"};
    /** Category keys and columns, in order of preference (HarmBench's SemanticCategory before FunctionalCategory). */
    static final String[] CATEGORY_KEYS = {"category", "SemanticCategory", "type"};

    /**
     * Characters a prompt may have: 1,000,000 (1 MB of text, some 250,000 tokens: more than the
     * context of the models this tool runs). A longer one is refused when the file is read, before
     * the tokenizer would spend about 100 bytes of heap per character on it; the exact check
     * against the model's context comes after tokenization.
     */
    public static final int MAX_PROMPT_CHARS = 1_000_000;

    private static final ObjectMapper JSON = Json.MAPPER;

    private PromptLoader() {}

    public static List<Prompt> load(Path file) {
        if (!Files.isRegularFile(file)) throw new PromptFileException(file, "no such file");
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<Prompt> prompts;
        if (name.endsWith(".json")) prompts = loadJson(file, read(file));
        else if (name.endsWith(".jsonl")) prompts = loadJsonLines(file, read(file));
        else if (name.endsWith(".csv")) prompts = loadCsv(CsvTable.read(file));
        else prompts = loadText(file, read(file));
        if (prompts.isEmpty()) throw new PromptFileException(file, "contains no prompts");
        for (int i = 0; i < prompts.size(); i++) {
            int n = prompts.get(i).instruction().length();
            if (n > MAX_PROMPT_CHARS) {
                throw new PromptFileException(file, "prompt " + (i + 1) + " has " + n + " characters, more than the limit of " + MAX_PROMPT_CHARS);
            }
        }
        return prompts;
    }

    static List<Prompt> loadJson(Path file, String text) {
        if (text.isBlank()) throw new PromptFileException(file, "file is empty");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            if (firstLineIsAnObject(text)) return loadJsonLines(file, text);   // JSON Lines saved as .json
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            throw new PromptFileException(file, line, "not valid JSON: " + e.getOriginalMessage());
        }
        if (!root.isArray()) {
            throw new PromptFileException(file, "expected a JSON list of prompts, found a JSON " + root.getNodeType().name().toLowerCase(Locale.ROOT)
                    + (root.isObject() ? " (for one object a line, name the file .jsonl)" : ""));
        }
        List<Prompt> prompts = new ArrayList<>(root.size());
        for (int i = 0; i < root.size(); i++) prompts.add(fromJson(file, 0, root.get(i), "item " + i + " of the list"));
        return prompts;
    }

    static List<Prompt> loadJsonLines(Path file, String text) {
        List<Prompt> prompts = new ArrayList<>();
        String[] lines = text.split("\r?\n|\r", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                throw new PromptFileException(file, i + 1, "not valid JSON: " + e.getOriginalMessage());
            }
            prompts.add(fromJson(file, i + 1, node, "the record"));
        }
        return prompts;
    }

    private static Prompt fromJson(Path file, int line, JsonNode node, String where) {
        if (node.isTextual()) return new Prompt(nonEmpty(file, line, PyText.strip(node.asText()), where), null);
        if (!node.isObject()) throw error(file, line, where + " is a JSON " + node.getNodeType().name().toLowerCase(Locale.ROOT) + ", expected an object or a string");
        String key = findKey(node, INSTRUCTION_KEYS);
        if (key == null) {
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            throw error(file, line, where + " has no instruction key (one of "
                    + String.join(", ", INSTRUCTION_KEYS) + "); its keys are " + keys);
        }
        JsonNode value = node.get(key);
        if (!value.isTextual()) throw error(file, line, where + ": \"" + key + "\" is not a string");
        String instruction = PyText.strip(value.asText());
        JsonNode input = node.get("input");
        if (key.equals("instruction") && input != null && input.isTextual() && !input.asText().isBlank()) {
            instruction = instruction + "\n\n" + PyText.strip(input.asText());
        }
        String categoryKey = findKey(node, CATEGORY_KEYS);
        JsonNode cat = categoryKey == null ? null : node.get(categoryKey);
        String category = cat == null || cat.isNull() || cat.asText().isEmpty() ? null : cat.asText();
        return new Prompt(nonEmpty(file, line, instruction, where), category);
    }

    static List<Prompt> loadCsv(CsvTable table) {
        int col = table.column(INSTRUCTION_KEYS);
        int catCol = table.findColumn(CATEGORY_KEYS);
        int ctxCol = table.findColumn("ContextString");
        List<Prompt> prompts = new ArrayList<>(table.rows().size());
        for (int r = 0; r < table.rows().size(); r++) {
            List<String> row = table.rows().get(r);
            String instruction = PyText.strip(row.get(col));
            if (instruction.isEmpty()) {
                throw new PromptFileException(table.file(), table.rowLines()[r], "empty instruction in column '" + table.header().get(col) + "'");
            }
            if (ctxCol >= 0 && !row.get(ctxCol).isBlank()) instruction = PyText.strip(row.get(ctxCol)) + "\n\n---\n\n" + instruction;
            String category = catCol < 0 || row.get(catCol).isEmpty() ? null : row.get(catCol);
            prompts.add(new Prompt(instruction, category));
        }
        return prompts;
    }

    static List<Prompt> loadText(Path file, String text) {
        List<Prompt> prompts = new ArrayList<>();
        for (String line : text.split("\r?\n|\r")) {
            String s = PyText.strip(line);
            if (!s.isEmpty()) prompts.add(new Prompt(s, null));
        }
        return prompts;
    }

    private static boolean firstLineIsAnObject(String text) {
        for (String line : text.split("\r?\n|\r")) {
            if (line.isBlank()) continue;
            try {
                return JSON.readTree(line).isObject();
            } catch (JsonProcessingException e) {
                return false;
            }
        }
        return false;
    }

    private static String findKey(JsonNode node, String[] keys) {
        for (String k : keys) if (node.has(k)) return k;
        for (String k : keys) {
            for (var it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (f.equalsIgnoreCase(k)) return f;
            }
        }
        return null;
    }

    private static String nonEmpty(Path file, int line, String instruction, String where) {
        if (instruction.isEmpty()) throw error(file, line, where + " has an empty instruction");
        return instruction;
    }

    private static PromptFileException error(Path file, int line, String problem) {
        return line > 0 ? new PromptFileException(file, line, problem) : new PromptFileException(file, problem);
    }

    private static String read(Path file) {
        String s = readText(file);
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    /** The file as UTF-8 text ({@link TextFiles}); a file in another encoding is an error naming the line and byte. */
    static String readText(Path file) {
        try {
            return TextFiles.read(file);
        } catch (ModelFormatException e) {
            String m = e.getMessage(); // "FILE: is not UTF-8 text (byte 0xE9 at offset 12, line 3); save it as UTF-8"
            throw new PromptFileException(file, m.startsWith(file + ": ") ? m.substring(file.toString().length() + 2) : m);
        } catch (IOException e) {
            throw new PromptFileException(file, "cannot read: " + e.getMessage());
        }
    }
}
