package dev.refusal4j.report;

import dev.refusal4j.evaluate.AnswerQuality;

import static dev.refusal4j.report.Html.esc;

import java.util.Locale;
import java.util.Map;

/** The report's table of answer quality per completion set, from metrics.json's {@code answer_quality}. */
final class AnswerQualityTable {
    private AnswerQualityTable() {}

    static void append(StringBuilder sb, Map<String, AnswerQuality.Summary> quality) {
        if (quality.isEmpty()) return;
        sb.append("<h3>Answer quality</h3>\n<p>Whether the answers are text a reader can follow, which the refusal judge does not ask: ")
                .append("<b>non-words</b>, the share of words (lower-cased letter runs) that occur in none of the bundled organism's training texts and not in the request; ")
                .append("<b>repeated pairs</b>, the share of adjacent word pairs already said earlier in the same answer; ")
                .append("<b>on topic</b>, the share of answers that hold at least half of their request's content words; ")
                .append("<b>reference F1</b>, the bag-of-words F1 against the project's reference answer, where the request has one.</p>\n");
        sb.append("<table>\n<tr><th>completions</th><th class=\"num\">answers</th><th class=\"num\">non-words</th>")
                .append("<th class=\"num\">repeated pairs</th><th class=\"num\">on topic</th><th class=\"num\">reference F1</th></tr>\n");
        for (String set : ReportHtml.orderedConditions(quality.keySet())) {
            AnswerQuality.Summary q = quality.get(set);
            sb.append("<tr><td>").append(esc(BarChart.conditionLabel(set))).append(" (").append(esc(ReportHtml.prefix(set))).append(")</td><td class=\"num\">")
                    .append(q.answers()).append("</td><td class=\"num\">").append(Html.percent(q.nonWords()))
                    .append("</td><td class=\"num\">").append(Html.percent(q.repeatedPairs()))
                    .append("</td><td class=\"num\">").append(Html.percent(q.onTopic()))
                    .append("</td><td class=\"num\">").append(q.withReference() == 0 || Double.isNaN(q.referenceF1()) ? "—"
                            : String.format(Locale.ROOT, "%.3f (%d)", q.referenceF1(), q.withReference()))
                    .append("</td></tr>\n");
        }
        sb.append("</table>\n");
    }
}
