package dev.refusal4j.organism.data;

/** A request of an evaluation split, in the pipeline's loader format ({@code {"instruction", "category"}}). */
public record Prompt(String instruction, String category) {}
