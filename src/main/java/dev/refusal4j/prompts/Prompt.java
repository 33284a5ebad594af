package dev.refusal4j.prompts;

/** One instruction for the model; category may be null (the paper's harmless sets have none). */
public record Prompt(String instruction, String category) {
    public Prompt {
        if (instruction == null) throw new IllegalArgumentException("instruction is null");
    }
}
