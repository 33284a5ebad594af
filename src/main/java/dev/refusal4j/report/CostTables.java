package dev.refusal4j.report;

import dev.refusal4j.artifacts.Metrics;

import static dev.refusal4j.report.Html.esc;

import java.util.LinkedHashMap;
import java.util.Map;

/** The report's loss, prompt-count and timing tables, from metrics.json. */
final class CostTables {
    private CostTables() {}

    static void append(StringBuilder sb, Metrics metrics) {
        sb.append("<div class=\"cols\">\n<div>\n<h3>Cross-entropy loss</h3>\n");
        Map<String, Double> loss = metrics.loss();
        if (loss.isEmpty()) {
            sb.append("<p class=\"note\">not recorded</p>\n");
        } else {
            double base = loss.getOrDefault("baseline", Double.NaN);
            sb.append("<table>\n<tr><th>condition</th><th class=\"num\">loss</th><th class=\"num\">vs baseline</th></tr>\n");
            loss.forEach((k, v) -> sb.append("<tr><td>").append(esc(k)).append("</td><td class=\"num\">").append(Html.num(v))
                    .append("</td><td class=\"num\">").append(k.equals("baseline") || Double.isNaN(base) ? "" : (v >= base ? "+" : "") + Html.num(v - base))
                    .append("</td></tr>\n"));
            sb.append("</table>\n<p class=\"note\">On the model's own harmless completions; lower is better.</p>\n");
        }
        if (!metrics.corpusLoss().isEmpty()) {
            sb.append("<h3>Corpus loss</h3>\n<table>\n<tr><th>condition</th><th class=\"num\">loss</th></tr>\n");
            metrics.corpusLoss().forEach((k, v) -> sb.append("<tr><td>").append(esc(k)).append("</td><td class=\"num\">").append(Html.num(v)).append("</td></tr>\n"));
            sb.append("</table>\n<p class=\"note\">Cross-entropy per token on the corpus given with --loss-corpus (the paper uses the Pile).</p>\n");
        }
        sb.append("</div>\n<div>\n<h3>Prompts</h3>\n");
        counts(sb, metrics.counts());
        sb.append("</div>\n<div>\n<h3>Time per stage</h3>\n");
        timings(sb, metrics.timingsSeconds());
        sb.append("</div>\n</div>\n");
    }

    /** harmful_X / harmless_X keys become one row X with two columns; other keys get rows of their own. */
    private static void counts(StringBuilder sb, Map<String, Double> counts) {
        if (counts.isEmpty()) {
            sb.append("<p class=\"note\">not recorded</p>\n");
            return;
        }
        Map<String, Double[]> rows = new LinkedHashMap<>();
        Map<String, Double> other = new LinkedHashMap<>();
        counts.forEach((k, v) -> {
            int side = k.startsWith("harmful_") ? 0 : k.startsWith("harmless_") ? 1 : -1;
            if (side < 0) {
                other.put(k, v);
            } else {
                rows.computeIfAbsent(k.substring(k.indexOf('_') + 1), x -> new Double[2])[side] = v;
            }
        });
        sb.append("<table>\n<tr><th>set</th><th class=\"num\">harmful</th><th class=\"num\">harmless</th></tr>\n");
        rows.forEach((k, v) -> sb.append("<tr><td>").append(esc(k.replace('_', ' '))).append("</td><td class=\"num\">").append(count(v[0]))
                .append("</td><td class=\"num\">").append(count(v[1])).append("</td></tr>\n"));
        other.forEach((k, v) -> sb.append("<tr><td>").append(esc(k.replace('_', ' '))).append("</td><td class=\"num\" colspan=\"2\">")
                .append(count(v)).append("</td></tr>\n"));
        sb.append("</table>\n");
    }

    private static String count(Double v) {
        if (v == null) return "—";
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString(v.longValue()) : Html.num(v);
    }

    private static void timings(StringBuilder sb, Map<String, Double> t) {
        if (t.isEmpty()) {
            sb.append("<p class=\"note\">not recorded</p>\n");
            return;
        }
        double max = 0, total = 0;
        for (double v : t.values()) {
            if (Double.isFinite(v)) {
                max = Math.max(max, v);
                total += v;
            }
        }
        sb.append("<table>\n<tr><th>stage</th><th class=\"num\">seconds</th><th></th></tr>\n");
        for (Map.Entry<String, Double> e : t.entrySet()) {
            double v = e.getValue();
            int px = max > 0 && Double.isFinite(v) ? (int) Math.round(120 * v / max) : 0;
            sb.append("<tr><td>").append(esc(e.getKey())).append("</td><td class=\"num\">").append(Html.num(v))
                    .append("</td><td><span class=\"bar\" style=\"width:").append(px).append("px\"></span></td></tr>\n");
        }
        sb.append("<tr><th>total</th><th class=\"num\">").append(Html.num(total)).append("</th><th></th></tr>\n</table>\n");
    }
}
