package dev.refusal4j.report;

import java.util.Map;

/** What {@code metrics.json} says; maps keep the file's order and are empty when a section is absent. */
record Metrics(String model, Map<String, Double> refusalRate, Map<String, Map<String, Double>> refusalRateByCategory,
               Map<String, Double> loss, Map<String, Double> counts, String judge, Map<String, Double> timingsSeconds) {}
