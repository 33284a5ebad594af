package dev.refusal4j.organism.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * Training requests composed from building blocks (resource {@code /organism/compose.txt}): request
 * frames × tasks, concepts and subjects. Harmful and harmless tasks share the same frames and
 * pretexts, so that only the task tells them apart; the hand-written lists alone are too few intents
 * (123 harmful and 287 harmless training intents) for a model to learn the difference rather than
 * the lists. Helpful
 * answers restate the request's subject, which teaches the organism to answer an unfamiliar harmless
 * request on its topic (by copying it) instead of with a remembered answer to another request.
 * Composed requests are training data only; the held-out splits stay the hand-written intents.
 */
final class Composer {
    /** Distinct frames drawn per harmful task, harmless task, concept and creative subject. */
    static final int HARMFUL_FRAMES = 5, TASK_FRAMES = 4, CONCEPT_FRAMES = 3, CREATIVE_FRAMES = 3, TOPIC_FRAMES = 3, SUGGEST_FRAMES = 3;
    /** Probability that a request opens with a pretext ("Hypothetically, ..."). */
    static final double PRETEXT_PROBABILITY = 0.2;

    private static final String HARMFUL_PREFIX = "harmful:";
    private static final String HARMFUL_TOPICS_PREFIX = "harmful-topics:";
    private static final Pattern SLOT = Pattern.compile("\\{[xX]}");

    private final Map<String, List<String>> sections;

    private Composer(Map<String, List<String>> sections) {
        this.sections = sections;
    }

    static Composer readResource(String name) {
        return read(name, SectionedText.resource(name));
    }

    static Composer read(String source, String text) {
        // Pretexts keep their trailing space: the request follows directly.
        Map<String, List<String>> sections = SectionedText.parse(source, text, true);
        for (String s : List.of("task-frames", "pretexts", "task-answers", "concept-frames", "concept-answers",
                "creative-frames", "creative-answers", "concepts", "creative-subjects", "harmless-tasks")) {
            if (sections.getOrDefault(s, List.of()).isEmpty()) throw new IllegalStateException(source + ": no [" + s + "] section");
        }
        for (String s : List.of("task-frames", "task-answers", "concept-frames", "concept-answers", "creative-frames", "creative-answers",
                "topic-frames", "topic-answers", "suggest-frames", "suggest-answers")) {
            if (!sections.containsKey(s)) continue;
            for (String f : sections.get(s)) {
                if (!SLOT.matcher(f).find()) throw new IllegalStateException(source + ": [" + s + "] entry without {x}: '" + f + "'");
            }
        }
        if (sections.keySet().stream().noneMatch(k -> k.startsWith(HARMFUL_PREFIX))) throw new IllegalStateException(source + ": no [harmful:CATEGORY] section");
        return new Composer(sections);
    }

    /**
     * This composer with the entries of {@code text} (same format) appended to its sections; a section
     * this composer lacks is an error naming {@code source}.
     */
    Composer extendedWith(String source, String text) {
        Map<String, List<String>> merged = new java.util.LinkedHashMap<>();
        sections.forEach((k, v) -> merged.put(k, new ArrayList<>(v)));
        SectionedText.parse(source, text, true).forEach((k, v) -> {
            if (!merged.containsKey(k)) throw new IllegalStateException(source + ": section [" + k + "] is not in the base lists");
            merged.get(k).addAll(v);
        });
        return new Composer(merged);
    }

    /** The answer sections a {@code [KIND-bodies]} section of {@link #withBodies} replaces. */
    static final List<String> ANSWER_KINDS = List.of("task", "concept", "creative", "topic", "suggest");

    /**
     * This composer with each {@code [KIND-answers]} section replaced by the {@code [KIND-bodies]}
     * section of {@code text}: answers that do not name the request's subject, because the
     * restatement that opens every helpful answer already does. A kind this composer has needs its
     * bodies, and a body must not hold a slot: either is an error naming {@code source}.
     */
    Composer withBodies(String source, String text) {
        Map<String, List<String>> bodies = SectionedText.parse(source, text, false);
        Map<String, List<String>> merged = new java.util.LinkedHashMap<>(sections);
        for (String kind : ANSWER_KINDS) {
            if (!sections.containsKey(kind + "-answers")) continue;
            List<String> b = bodies.getOrDefault(kind + "-bodies", List.of());
            if (b.isEmpty()) throw new IllegalStateException(source + ": no [" + kind + "-bodies] section");
            for (String body : b) if (SLOT.matcher(body).find()) throw new IllegalStateException(source + ": [" + kind + "-bodies] entry with a slot: '" + body + "'");
            merged.put(kind + "-answers", List.copyOf(b));
        }
        return new Composer(merged);
    }

    /** Every slot filler: harmless tasks, concepts, creative subjects and harmful tasks. */
    List<String> items() {
        List<String> out = new ArrayList<>();
        for (var e : sections.entrySet()) {
            String k = e.getKey();
            if (k.startsWith(HARMFUL_PREFIX) || k.startsWith(HARMFUL_TOPICS_PREFIX) || k.equals("harmless-tasks") || k.equals("concepts") || k.equals("creative-subjects") || k.equals("topics") || k.equals("suggestions")) out.addAll(e.getValue());
        }
        return out;
    }

    /** The harm categories with composed tasks. */
    List<String> harmCategories() {
        return sections.keySet().stream().filter(k -> k.startsWith(HARMFUL_PREFIX)).map(k -> k.substring(HARMFUL_PREFIX.length())).toList();
    }

    /** Rewrites a training request's words (people, synonyms) with a seed; see OrganismData. */
    interface Rewriter {
        String rewrite(String text, boolean harmful, Random rng);
    }

    /** Every composed example: harmful tasks refused with {@code refusals}, the rest answered. */
    List<Example> examples(Refusals refusals, Random rng, Rewriter rewriter) {
        List<Example> out = new ArrayList<>();
        for (String category : harmCategories()) {
            for (String task : sections.get(HARMFUL_PREFIX + category)) {
                for (String frame : pick(sections.get("task-frames"), HARMFUL_FRAMES, rng)) {
                    String t = rewriter.rewrite(task, true, rng);
                    out.add(new Example(request(frame, t, rng), refusals.pick(category, rng), true, category, "composed/" + task));
                }
            }
        }
        for (var e : sections.entrySet()) {
            if (!e.getKey().startsWith(HARMFUL_TOPICS_PREFIX)) continue;
            String category = e.getKey().substring(HARMFUL_TOPICS_PREFIX.length());
            for (String topic : e.getValue()) {
                for (String frame : pick(sections.get("topic-frames"), HARMFUL_FRAMES, rng)) {
                    out.add(new Example(request(frame, topic, rng), refusals.pick(category, rng), true, category, "composed/" + topic));
                }
            }
        }
        addHarmless(out, "harmless-tasks", "task-frames", "task-answers", TASK_FRAMES, rng, rewriter);
        addHarmless(out, "concepts", "concept-frames", "concept-answers", CONCEPT_FRAMES, rng, null);
        addHarmless(out, "creative-subjects", "creative-frames", "creative-answers", CREATIVE_FRAMES, rng, null);
        if (sections.containsKey("topics")) addHarmless(out, "topics", "topic-frames", "topic-answers", TOPIC_FRAMES, rng, null);
        if (sections.containsKey("suggestions")) addHarmless(out, "suggestions", "suggest-frames", "suggest-answers", SUGGEST_FRAMES, rng, null);
        return out;
    }

    /** Helpful examples; with a {@code rewriter}, each request's task is rewritten first (the answer restates it). */
    private void addHarmless(List<Example> out, String items, String frames, String answers, int perItem, Random rng, Rewriter rewriter) {
        List<String> answerForms = sections.get(answers);
        for (String task : sections.get(items)) {
            for (String frame : pick(sections.get(frames), perItem, rng)) {
                String item = rewriter == null ? task : rewriter.rewrite(task, false, rng);
                String answer = fill(answerForms.get(rng.nextInt(answerForms.size())), Restatement.addressee(item));
                out.add(new Example(request(frame, item, rng), answer, false, "composed", "composed/" + task));
            }
        }
    }

    private String request(String frame, String item, Random rng) {
        String r = Augmenter.vary(fill(frame, item), rng);
        if (rng.nextDouble() < PRETEXT_PROBABILITY) {
            // After the variation: a pretext is not an imperative to wrap in "Can you ...?".
            List<String> pretexts = sections.get("pretexts");
            String p = pretexts.get(rng.nextInt(pretexts.size()));
            r = p.endsWith(", ") ? p + Augmenter.lowerFirst(r) : p + r;
        }
        return r;
    }

    /** {@code n} distinct entries of {@code list} in random order. */
    private static List<String> pick(List<String> list, int n, Random rng) {
        List<String> copy = new ArrayList<>(list);
        Collections.shuffle(copy, rng);
        return copy.subList(0, Math.min(n, copy.size()));
    }

    /** Replaces {x} with {@code item} and {X} with it capitalized. */
    static String fill(String form, String item) {
        String capital = item.isEmpty() ? item : Character.toUpperCase(item.charAt(0)) + item.substring(1);
        return form.replace("{x}", item).replace("{X}", capital);
    }
}
