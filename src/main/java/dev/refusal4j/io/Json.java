package dev.refusal4j.io;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The project's one JSON setup. Output is indented so that run folders read well; input accepts
 * the bare {@code NaN} and {@code Infinity} that Python's json module writes, because the paper's
 * files and Hugging Face configs are written by Python, and rejects anything after the value.
 */
public final class Json {
    public static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)   // "{...} junk" is a damaged file, not a value
            .build();

    /** One value on one line, for JSONL files. */
    public static final ObjectWriter LINE = MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    /** Parses a file; an error names the file and the parser's first line. */
    public static JsonNode read(Path file) throws IOException {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new IOException(file + ": not valid JSON: " + m.split("\n")[0], e);
        }
    }

    /** Writes indented JSON atomically. */
    public static void write(Path file, Object value) throws IOException {
        AtomicFiles.write(file, MAPPER.writeValueAsBytes(value));
    }
}
