package dev.refusal4j.evaluate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A multiple-choice task file: JSONL, one question a line,
 * <pre>  {"question": "The capital of France is", "choices": ["Paris", "Rome", "Madrid"], "gold": 0}</pre>
 * {@code gold} is the index of the right choice ({@code answer} is accepted for it, as in many
 * datasets); other fields are ignored and blank lines skipped. The task is named after the file
 * (without {@code .jsonl}).
 *
 * @param name      the file's name without its extension
 * @param questions in file order
 */
public record ChoiceTask(String name, List<Question> questions) {
    /** One question; {@code where} ("tasks.jsonl, line 3") names it in messages. */
    public record Question(String where, String question, List<String> choices, int gold) {}

    /**
     * Reads a task file. Errors name the file and line: a missing or non-UTF-8 file, no question,
     * a line that is not a JSON object, no "question" string, fewer than two "choices" or one that
     * is not a string, a missing gold, or a gold that is not an index of the choices.
     */
    public static ChoiceTask read(Path file) {
        List<Question> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = r.readLine()) != null) {
                number++;
                if (!line.isBlank()) out.add(parse(line, "task " + file + ", line " + number));
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("task file not found: " + file);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("task " + file + " is not UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read task " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("task " + file + " has no questions (one {\"question\", \"choices\", \"gold\"} object a line)");
        String name = file.getFileName().toString();
        if (name.toLowerCase(java.util.Locale.ROOT).endsWith(".jsonl")) name = name.substring(0, name.length() - ".jsonl".length());
        return new ChoiceTask(name, List.copyOf(out));
    }

    /** The first {@code n} questions (all when there are fewer): lm-evaluation-harness's {@code --limit}. */
    public ChoiceTask limit(int n) {
        if (n < 1) throw new IllegalArgumentException("limit " + n + ": at least 1 question");
        return n >= questions.size() ? this : new ChoiceTask(name, questions.subList(0, n));
    }

    static Question parse(String line, String where) {
        JsonNode o;
        try {
            o = Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object {\"question\", \"choices\", \"gold\"}");
        JsonNode q = o.get("question");
        if (q == null || !q.isTextual()) throw new IllegalArgumentException(where + ": no \"question\" string");
        JsonNode cs = o.get("choices");
        if (cs == null || !cs.isArray()) throw new IllegalArgumentException(where + ": no \"choices\" list");
        if (cs.size() < 2) throw new IllegalArgumentException(where + ": " + cs.size() + " choice" + (cs.size() == 1 ? "" : "s") + ", a question needs at least 2");
        List<String> choices = new ArrayList<>();
        for (int i = 0; i < cs.size(); i++) {
            if (!cs.get(i).isTextual()) throw new IllegalArgumentException(where + ": choice " + i + " is not a string");
            choices.add(cs.get(i).asText());
        }
        JsonNode g = o.get("gold"), a = o.get("answer");
        if (g != null && a != null && !g.equals(a)) throw new IllegalArgumentException(where + ": \"gold\" " + g + " and \"answer\" " + a + " disagree; give one");
        JsonNode gold = g != null ? g : a;
        if (gold == null) throw new IllegalArgumentException(where + ": no \"gold\" (or \"answer\"): the index of the right choice");
        if (!gold.isIntegralNumber() || !gold.canConvertToInt()) throw new IllegalArgumentException(where + ": gold " + gold + " is not a choice index (0 to " + (choices.size() - 1) + ")");
        int gi = gold.intValue();
        if (gi < 0 || gi >= choices.size()) throw new IllegalArgumentException(where + ": gold " + gi + " is out of range: " + choices.size() + " choices, indices 0 to " + (choices.size() - 1));
        return new Question(where, q.asText(), List.copyOf(choices), gi);
    }
}
