package dev.refusal4j.organism.data;

/** The held-out evaluation splits; their intents never occur in training. */
public enum Split { VAL, TEST }
