package dev.refusal4j.artifacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code run.json}: the options that decide a run's results, as the command line names them
 * ({@code "--n-train": "128"}). A resumed run must have the same ones, or its stages would mix
 * results of two experiments; options that change only speed or display (batch size, quiet) are
 * not recorded.
 */
public record RunSettings(Map<String, String> options) {
    public void write(Path file) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        options.forEach(o::put);
        Json.write(file, o);
    }

    public static RunSettings read(Path file) throws IOException {
        JsonNode n = Json.read(file);
        if (!n.isObject()) throw new IOException(file + ": expected a JSON object of options");
        Map<String, String> m = new LinkedHashMap<>();
        n.properties().forEach(e -> m.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        return new RunSettings(m);
    }

    /** The options whose values differ, as "--option OLD (now NEW)"; empty when the runs agree. */
    public List<String> differences(RunSettings now) {
        return differences(now, java.util.Set.of());
    }

    /** As {@link #differences(RunSettings)}, leaving out the options named in {@code ignored}. */
    public List<String> differences(RunSettings now, java.util.Set<String> ignored) {
        List<String> out = new ArrayList<>();
        for (String k : now.options.keySet()) {
            if (ignored.contains(k)) continue;
            String was = options.get(k), is = now.options.get(k);
            if (!java.util.Objects.equals(was, is)) out.add(k + " " + shown(was) + " (now " + shown(is) + ")");   // absent: not set
        }
        for (String k : options.keySet()) {
            if (ignored.contains(k)) continue;
            if (!now.options.containsKey(k) && options.get(k) != null) out.add(k + " " + shown(options.get(k)) + " (now not set)");
        }
        return out;
    }

    private static String shown(String v) {
        return v == null ? "not set" : "'" + v + "'";
    }
}
