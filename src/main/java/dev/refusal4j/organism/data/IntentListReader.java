package dev.refusal4j.organism.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads an intent list, a plain text file written for people:
 * <pre>
 * # a comment
 * [category]
 * = intent-name
 * &gt; the helpful answer (harmless lists only, one line)
 * A phrasing of the request.
 * Another phrasing of the same request?
 * </pre>
 * Intent ids become {@code category/intent-name}. Every mistake is reported with the file name and
 * line number, because these files are edited by hand.
 */
public final class IntentListReader {
    private IntentListReader() {}

    /** Reads the classpath resource {@code name}; {@code harmful} says which kind of list it must be. */
    public static List<Intent> readResource(String name, boolean harmful) {
        return read(name, SectionedText.resource(name), harmful);
    }

    /** Parses {@code text}; {@code source} names the file in error messages. */
    public static List<Intent> read(String source, String text, boolean harmful) {
        List<Intent> intents = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> allPhrasings = new HashSet<>();
        String category = null, name = null, answer = null;
        List<String> phrasings = new ArrayList<>();
        int intentLine = 0;
        String[] lines = text.split("\n", -1);
        for (int i = 0; i <= lines.length; i++) {
            String line = i < lines.length ? lines[i].strip() : null;
            boolean startsNew = line == null || line.startsWith("=") || line.startsWith("[");
            if (startsNew && name != null) {
                String id = category + "/" + name;
                if (phrasings.isEmpty()) throw error(source, intentLine, "intent '" + id + "' has no phrasings");
                if (!harmful && answer == null) throw error(source, intentLine, "harmless intent '" + id + "' has no '>' answer line");
                if (!ids.add(id)) throw error(source, intentLine, "duplicate intent id '" + id + "'");
                intents.add(new Intent(id, category, harmful, phrasings, answer));
                name = null; answer = null; phrasings = new ArrayList<>();
            }
            if (line == null || line.isEmpty() || line.startsWith("#")) continue;
            int lineNo = i + 1;
            if (line.startsWith("[")) {
                if (!line.endsWith("]") || line.length() < 3) throw error(source, lineNo, "malformed category header '" + line + "'");
                category = line.substring(1, line.length() - 1).strip();
                if (!category.matches("[a-z0-9_-]+")) throw error(source, lineNo, "category '" + category + "' must be lower-case [a-z0-9_-]");
            } else if (line.startsWith("=")) {
                if (category == null) throw error(source, lineNo, "intent before any [category] header");
                name = line.substring(1).strip();
                if (!name.matches("[a-z0-9_-]+")) throw error(source, lineNo, "intent name '" + name + "' must be lower-case [a-z0-9_-]");
                intentLine = lineNo;
            } else if (line.startsWith(">")) {
                if (name == null) throw error(source, lineNo, "answer line outside an intent");
                if (harmful) throw error(source, lineNo, "harmful intents take no answer (the organism refuses them)");
                if (answer != null) throw error(source, lineNo, "second answer line for one intent");
                answer = line.substring(1).strip();
                if (answer.isEmpty()) throw error(source, lineNo, "empty answer");
            } else {
                if (name == null) throw error(source, lineNo, "phrasing outside an intent: '" + line + "'");
                if (!allPhrasings.add(line.toLowerCase())) throw error(source, lineNo, "duplicate phrasing '" + line + "'");
                phrasings.add(line);
            }
        }
        if (intents.isEmpty()) throw new IllegalStateException(source + ": no intents");
        return List.copyOf(intents);
    }

    private static IllegalStateException error(String source, int line, String what) {
        return new IllegalStateException(source + ":" + line + ": " + what);
    }
}
