package dev.refusal4j.chat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The rendering cases of ../shared/templates/cases.jsonl (expected text from Python jinja2 with HF's settings). */
record SharedTemplateCases(String source, String name, List<Map<String, Object>> messages, boolean addGenerationPrompt,
                           Map<String, Object> variables, String expected, String error) {
    static final ObjectMapper JSON = new ObjectMapper();

    static List<SharedTemplateCases> all() throws IOException {
        List<SharedTemplateCases> out = new ArrayList<>();
        for (String line : Files.readAllLines(Shared.path("templates", "cases.jsonl"))) {
            if (line.isBlank()) continue;
            JsonNode c = JSON.readTree(line);
            out.add(new SharedTemplateCases(c.get("source").asText(), c.get("case").asText(),
                    JSON.convertValue(c.get("messages"), new TypeReference<List<Map<String, Object>>>() { }),
                    c.get("add_generation_prompt").asBoolean(),
                    JSON.convertValue(c.get("variables"), new TypeReference<Map<String, Object>>() { }),
                    c.hasNonNull("expected") ? c.get("expected").asText() : null,
                    c.hasNonNull("error") ? c.get("error").asText() : null));
        }
        return out;
    }

    Path sourceFile() {
        return Shared.path("templates", "sources", source);
    }

    /** A model folder holding only this case's template file, under the name a model folder uses. */
    Path modelDir(Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(source.replaceAll("[^A-Za-z0-9._-]", "_") + ".model"));
        String target = source.endsWith(".jinja") ? "chat_template.jinja" : "tokenizer_config.json";
        Files.copy(sourceFile(), dir.resolve(target), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }

    String id() {
        return source + " / " + name;
    }
}
