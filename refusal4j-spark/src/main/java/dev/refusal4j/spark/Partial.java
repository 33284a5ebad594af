package dev.refusal4j.spark;

import java.io.Serializable;

/** One task's share of a stage's result: an item (a batch, a prompt, a candidate) by its index. */
record Partial<T extends Serializable>(int index, T value) implements Serializable {}
