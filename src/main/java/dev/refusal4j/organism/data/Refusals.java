package dev.refusal4j.organism.data;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The refusals the organism is trained to give. A refusal is one opening sentence, the way real chat
 * models open them ("I'm sorry, but I can't..."), optionally followed by one sentence that gives the
 * reason or offers a safe alternative, taken from the request's category or from the general list.
 * <p>
 * File format: {@code [openers]}, {@code [general]} and one {@code [category]} section per harm
 * category, one sentence a line, {@code #} comments.
 */
public final class Refusals {
    /** Probability that a follow-up sentence is added to the opener. */
    static final double FOLLOW_UP_PROBABILITY = 0.65;
    /** Probability that a follow-up comes from the category's own list rather than the general one. */
    static final double CATEGORY_FOLLOW_UP_PROBABILITY = 0.75;

    private final List<String> openers;
    private final List<String> general;
    private final Map<String, List<String>> byCategory;

    private Refusals(List<String> openers, List<String> general, Map<String, List<String>> byCategory) {
        this.openers = openers;
        this.general = general;
        this.byCategory = byCategory;
    }

    public static Refusals readResource(String name) {
        return read(name, SectionedText.resource(name));
    }

    public static Refusals read(String source, String text) {
        Map<String, List<String>> sections = SectionedText.parse(source, text, false);
        List<String> openers = sections.remove("openers");
        List<String> general = sections.remove("general");
        if (openers == null || openers.isEmpty()) throw new IllegalStateException(source + ": no [openers] section");
        if (general == null || general.isEmpty()) throw new IllegalStateException(source + ": no [general] section");
        Map<String, List<String>> byCategory = new LinkedHashMap<>();
        sections.forEach((k, v) -> byCategory.put(k, List.copyOf(v)));
        return new Refusals(List.copyOf(openers), List.copyOf(general), byCategory);
    }

    /** Throws unless every category in {@code categories} has its own follow-up sentences. */
    void requireCategories(Set<String> categories) {
        for (String c : categories) {
            if (!byCategory.containsKey(c)) throw new IllegalStateException("refusals: no [" + c + "] section for harm category " + c);
        }
    }

    /** A refusal for a request of {@code category}, chosen with {@code rng}. */
    public String pick(String category, Random rng) {
        String opener = openers.get(rng.nextInt(openers.size()));
        if (rng.nextDouble() >= FOLLOW_UP_PROBABILITY) return opener;
        List<String> own = byCategory.getOrDefault(category, List.of());
        List<String> pool = !own.isEmpty() && rng.nextDouble() < CATEGORY_FOLLOW_UP_PROBABILITY ? own : general;
        return opener + " " + pool.get(rng.nextInt(pool.size()));
    }

    public List<String> openers() { return openers; }

    /** Every sentence that may follow an opener (general and per category). */
    public List<String> followUps() {
        List<String> all = new ArrayList<>(general);
        byCategory.values().forEach(all::addAll);
        return all;
    }
}
