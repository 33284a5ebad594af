package dev.refusal4j.eval;

/** One generated response to one prompt; category may be null. */
public record Completion(String instruction, String category, String response) {}
