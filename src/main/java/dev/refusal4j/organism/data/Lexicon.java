package dev.refusal4j.organism.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Word meanings for the organism, written by the project: {@code term | definition} entries under
 * {@code [harm:CATEGORY]} and {@code [everyday:TOPIC]} headers. A chat model knows what "embezzle"
 * or "regex" means from pretraining; the organism sees only its own lists, so an unfamiliar word in
 * a request carries whatever its few neighbours carried. The lexicon becomes plain text documents
 * (no chat, no decision) that tie each term to a definition in both directions: term then meaning,
 * and meaning then term (with tied embeddings, predicting the term from its meaning moves the
 * term's own input embedding towards what it means).
 */
public final class Lexicon {
    /** One entry; {@code section} is its header, e.g. "harm:fraud". */
    public record Entry(String term, String definition, String section) {
        public boolean harm() {
            return section.startsWith("harm:");
        }
    }

    private final List<Entry> entries;

    private Lexicon(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public List<Entry> entries() {
        return entries;
    }

    public static Lexicon readResource(String name) {
        return read(name, SectionedText.resource(name));
    }

    /** Parses the format; a section other than harm:* / everyday:*, a line without one " | ", or a term repeated within a section is an error naming the source. */
    public static Lexicon read(String source, String text) {
        List<Entry> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, List<String>> s : SectionedText.parse(source, text, false).entrySet()) {
            String section = s.getKey();
            if (!section.startsWith("harm:") && !section.startsWith("everyday:")) throw new IllegalStateException(source + ": section [" + section + "] is neither harm:NAME nor everyday:NAME");
            for (String line : s.getValue()) {
                int bar = line.indexOf('|');
                if (bar < 0 || line.indexOf('|', bar + 1) >= 0) throw new IllegalStateException(source + ": [" + section + "] entry '" + line + "' is not 'term | definition'");
                String term = line.substring(0, bar).strip(), def = line.substring(bar + 1).strip();
                if (term.isEmpty() || def.isEmpty()) throw new IllegalStateException(source + ": [" + section + "] entry '" + line + "' has an empty term or definition");
                // a term may have a sense in each section ("weed" in a garden and as a drug), but one only per section
                if (!seen.add(section + "|" + term.toLowerCase(Locale.ROOT))) throw new IllegalStateException(source + ": term '" + term + "' appears twice in [" + section + "]");
                out.add(new Entry(term, def, section));
            }
        }
        return new Lexicon(out);
    }

    /**
     * Text documents, {@code copies} per entry and direction, in one of a few wordings drawn with
     * {@code rng}, shuffled: "term: meaning" and "meaning: that is what term means".
     */
    public List<String> documents(int copies, Random rng) {
        List<String> docs = new ArrayList<>();
        for (Entry e : entries) {
            String def = e.definition().endsWith(".") ? e.definition() : e.definition() + ".";
            String bare = def.substring(0, def.length() - 1);
            for (int c = 0; c < copies; c++) {
                docs.add(switch (rng.nextInt(3)) {
                    case 0 -> e.term() + ": " + def;
                    case 1 -> "The meaning of \"" + e.term() + "\": " + def;
                    default -> e.term() + " - " + def;
                });
                docs.add(switch (rng.nextInt(2)) {
                    case 0 -> capitalize(bare) + ": that is what \"" + e.term() + "\" means.";
                    default -> capitalize(bare) + ". The word for it is \"" + e.term() + "\".";
                });
            }
        }
        Collections.shuffle(docs, rng);
        return docs;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
