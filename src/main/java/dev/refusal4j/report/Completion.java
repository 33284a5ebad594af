package dev.refusal4j.report;

/** One line of a {@code completions/*.jsonl} file; {@code refused} is null when the run did not judge it. */
record Completion(String instruction, String category, String response, Boolean refused) {}
