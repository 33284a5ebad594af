package dev.refusal4j.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Names of a run's files, and writes that replace a file only when the new one is complete. */
public final class Artifacts {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public final Path dir;

    public Artifacts(Path dir) {
        this.dir = dir;
    }

    public Path prompts() { return dir.resolve("prompts"); }
    public Path meanDiffs() { return dir.resolve("mean_diffs.safetensors"); }
    public Path candidates() { return dir.resolve("candidates.json"); }
    public Path direction() { return dir.resolve("direction.safetensors"); }
    public Path directionJson() { return dir.resolve("direction.json"); }
    public Path completions(String set, String condition) { return dir.resolve("completions").resolve(set + "_" + condition + ".jsonl"); }
    public Path metrics() { return dir.resolve("metrics.json"); }
    public Path report() { return dir.resolve("report.html"); }

    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + file.getFileName() + ".", ".partial");
        try {
            Files.write(tmp, bytes);
            dev.refusal4j.io.SafetensorsWriter.readableByAll(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static void writeJson(Path file, Object value) throws IOException {
        writeAtomically(file, JSON.writeValueAsBytes(value));
    }

    public static JsonNode readJson(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage().split("\n")[0], e);
        }
    }
}
