package dev.refusal4j.evaluate;

/** One generated response to one prompt; category may be null. */
public record Completion(String instruction, String category, String response) {}
