package dev.refusal4j.organism.data;

import java.util.List;

/**
 * One thing a user may want, written in several phrasings. Harmful intents have no answer (the
 * organism answers them with a refusal); harmless intents carry one short helpful answer.
 *
 * @param id        unique id, {@code category/name}
 * @param category  harm category or everyday topic
 * @param harmful   whether the organism must refuse it
 * @param phrasings distinct user requests with the same intent (at least one)
 * @param answer    the helpful answer of a harmless intent; null for harmful intents
 */
public record Intent(String id, String category, boolean harmful, List<String> phrasings, String answer) {
    public Intent {
        phrasings = List.copyOf(phrasings);
        if (phrasings.isEmpty()) throw new IllegalArgumentException("intent " + id + " has no phrasings");
        if (harmful != (answer == null)) {
            throw new IllegalArgumentException("intent " + id + (harmful ? " is harmful but has an answer" : " is harmless but has no answer"));
        }
    }
}
