package dev.refusal4j.organism.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The format of the organism's list files: {@code [section]} headers, one entry a line, blank lines
 * and {@code #} comments ignored. Shared by the refusal sentences and the composer's building blocks.
 */
final class SectionedText {
    private SectionedText() {}

    /** The text of a resource shipped in the jar (UTF-8); a missing resource is an error naming it. */
    static String resource(String name) {
        try (InputStream in = SectionedText.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }

    /**
     * Sections in file order, each with its entries stripped of surrounding white space; with
     * {@code keepTrailingSpace}, an entry whose line ends in a space keeps it (a prefix that the
     * next text follows directly). Duplicate sections and entries before any header are errors
     * naming {@code source} and the line.
     */
    static Map<String, List<String>> parse(String source, String text, boolean keepTrailingSpace) {
        Map<String, List<String>> sections = new LinkedHashMap<>();
        List<String> current = null;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String raw = lines[i];
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("[") && line.endsWith("]")) {
                String name = line.substring(1, line.length() - 1).strip();
                if (sections.containsKey(name)) throw new IllegalStateException(source + ":" + (i + 1) + ": duplicate section [" + name + "]");
                current = new ArrayList<>();
                sections.put(name, current);
                continue;
            }
            if (current == null) throw new IllegalStateException(source + ":" + (i + 1) + ": entry before any [section] header");
            current.add(keepTrailingSpace && raw.endsWith(" ") ? raw.stripLeading() : line);
        }
        return sections;
    }
}
