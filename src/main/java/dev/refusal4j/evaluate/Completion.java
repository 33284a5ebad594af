package dev.refusal4j.evaluate;

/**
 * One generated response to one prompt; category may be null.
 *
 * @param guard the model judge's label ("safe", "unsafe: S1"), null when no model judge ran
 */
public record Completion(String instruction, String category, String response, String guard) {
    public Completion(String instruction, String category, String response) {
        this(instruction, category, response, null);
    }

    public Completion withGuard(String label) {
        return new Completion(instruction, category, response, label);
    }
}
