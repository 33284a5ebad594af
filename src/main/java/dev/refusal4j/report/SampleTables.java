package dev.refusal4j.report;

import dev.refusal4j.evaluate.Completion;

import static dev.refusal4j.report.Html.esc;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/** Side-by-side tables: one row per sample instruction, one column per condition, with verdict badges. */
final class SampleTables {
    private final StringBuilder sb;
    private final Map<String, List<Completion>> completions;
    private final int samples;
    private final Predicate<String> judge;
    private final ToDoubleFunction<String> rate;

    /**
     * @param judge verdict for lines without a {@code refused} field (null: no badge)
     * @param rate  refusal rate of a condition, NaN when unknown (shown in the column header)
     */
    SampleTables(StringBuilder sb, Map<String, List<Completion>> completions, int samples, Predicate<String> judge, ToDoubleFunction<String> rate) {
        this.sb = sb;
        this.completions = completions;
        this.samples = samples;
        this.judge = judge;
        this.rate = rate;
    }

    void append(String title, List<String> conditions, List<String> headers) {
        List<Samples.Row> rows = Samples.pick(completions, conditions, samples);
        if (rows.isEmpty()) return;
        sb.append("<h3>").append(esc(title)).append("</h3>\n<table class=\"samples\">\n<tr><th>instruction</th>");
        for (int i = 0; i < conditions.size(); i++) {
            sb.append("<th>").append(esc(headers.get(i)));
            if (!Double.isNaN(rate.applyAsDouble(conditions.get(i)))) sb.append(" <span class=\"cat\">refusal rate ").append(Html.percent(rate.applyAsDouble(conditions.get(i)))).append("</span>");
            sb.append("</th>");
        }
        sb.append("</tr>\n");
        for (Samples.Row r : rows) {
            sb.append("<tr><td>").append(esc(r.instruction()));
            if (r.category() != null) sb.append("<span class=\"cat\">").append(esc(r.category())).append("</span>");
            sb.append("</td>");
            for (Completion c : r.responses()) {
                sb.append("<td>");
                if (c == null) {
                    sb.append("<span class=\"missing\">no completion</span>");
                } else {
                    Boolean refused = judge != null && c.response() != null ? (Boolean) judge.test(c.response()) : null;
                    String badge = refused == null ? "unjudged" : refused ? "refused" : "complied";
                    if (refused != null) sb.append("<span class=\"badge ").append(badge).append("\">").append(badge).append("</span>");
                    sb.append("<div class=\"resp\">").append(esc(c.response())).append("</div>");
                }
                sb.append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</table>\n");
    }
}
