package dev.refusal4j.organism.data;

/**
 * One single-turn chat example for training the organism.
 *
 * @param user      the user's message
 * @param assistant the target answer: a refusal for harmful requests, a short helpful answer otherwise
 * @param harmful   label of the request
 * @param category  harm category or everyday topic of the intent
 * @param intentId  id of the intent the request came from
 */
public record Example(String user, String assistant, boolean harmful, String category, String intentId) {}
