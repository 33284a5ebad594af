package dev.refusal4j.organism.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Answers the project wrote to held-out harmless test requests ({@code /organism/reference-answers.jsonl},
 * one {@code {"instruction", "answer"}} object a line): plain, short and correct, what a good
 * organism would say. {@link dev.refusal4j.evaluate.AnswerQuality} compares the organism's answers
 * with them; training never reads them.
 */
public final class ReferenceAnswers {
    public static final String RESOURCE = "/organism/reference-answers.jsonl";

    private ReferenceAnswers() {}

    /** The shipped reference answers by instruction, in file order. */
    public static Map<String, String> load() {
        return read(RESOURCE, SectionedText.resource(RESOURCE));
    }

    /** Parses the format; a line that is not an object of two non-blank strings, or an instruction given twice, is an error naming the line. */
    public static Map<String, String> read(String source, String text) {
        Map<String, String> out = new LinkedHashMap<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            String where = source + ":" + (i + 1) + ": ";
            JsonNode o;
            try {
                o = Json.MAPPER.readTree(lines[i]);
            } catch (IOException e) {
                throw new IllegalStateException(where + "not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
            }
            JsonNode q = o.path("instruction"), a = o.path("answer");
            if (!o.isObject() || o.size() != 2 || !q.isTextual() || !a.isTextual() || q.asText().isBlank() || a.asText().isBlank()) {
                throw new IllegalStateException(where + "expected {\"instruction\": TEXT, \"answer\": TEXT}, got " + lines[i]);
            }
            if (out.put(q.asText(), a.asText()) != null) throw new IllegalStateException(where + "instruction '" + q.asText() + "' has a reference answer already");
        }
        return Collections.unmodifiableMap(out);
    }
}
