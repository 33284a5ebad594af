package dev.refusal4j.report;

import dev.refusal4j.artifacts.Candidates;
import dev.refusal4j.artifacts.CompletionSet;
import dev.refusal4j.artifacts.DirectionSummary;
import dev.refusal4j.artifacts.RunContents;
import dev.refusal4j.artifacts.SuffixAnalysisFile;
import dev.refusal4j.artifacts.SuffixHeldOut;
import dev.refusal4j.evaluate.Completion;

import static dev.refusal4j.report.Html.esc;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Builds report.html from the artifacts and the figures. The page is XHTML-shaped HTML5 (every
 * element closed, void elements self-closed) so that an XML parser can check it, and it refers
 * to nothing outside the run directory.
 */
final class ReportHtml {
    private final RunContents a;
    private final Map<String, List<Completion>> completions = new LinkedHashMap<>();
    private final Map<String, Figure> figures;
    private final int samples;
    private final Predicate<String> judge;
    private final StringBuilder sb = new StringBuilder(1 << 16);

    private ReportHtml(RunContents a, Map<String, Figure> figures, int samples, Predicate<String> judge) {
        this.a = a;
        a.completions.forEach((set, list) -> completions.put(set.key(), list));
        this.judge = judge;
        this.figures = figures;
        this.samples = samples;
    }

    static String render(RunContents a, Map<String, Figure> figures, int samples, Predicate<String> judge, String generatedAt) {
        ReportHtml r = new ReportHtml(a, figures, samples, judge);
        r.page(generatedAt);
        return r.sb.toString();
    }

    private String model() {
        if (a.metrics != null && a.metrics.model() != null) return a.metrics.model();
        if (a.candidates != null && a.candidates.model() != null) return a.candidates.model();
        return a.direction == null ? null : a.direction.model();
    }

    private void page(String generatedAt) {
        String model = model();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<title>Refusal direction report").append(model == null ? "" : " — " + esc(model)).append("</title>\n")
                .append("<style>\n").append(Css.STYLE).append("</style>\n</head>\n<body>\n<main>\n");
        sb.append("<h1>Refusal direction report</h1>\n<p class=\"sub\">")
                .append(model == null ? "model unknown" : "<b>" + esc(model) + "</b>")
                .append(" · run folder <code>").append(esc(String.valueOf(a.folder.dir().toAbsolutePath().normalize().getFileName()))).append("</code>")
                .append(" · method of Arditi et al. (2024), <i>Refusal in Language Models Is Mediated by a Single Direction</i></p>\n");
        sb.append("<nav><a href=\"#rates\">Refusal rates</a><a href=\"#candidates\">Candidates</a><a href=\"#direction\">Direction</a>")
                .append("<a href=\"#cost\">Loss, counts, timings</a><a href=\"#samples\">Sample completions</a>")
                .append(a.suffix == null && a.suffixHeldOut == null ? "" : "<a href=\"#suffix\">Adversarial suffix</a>")
                .append(a.optimize == null ? "" : "<a href=\"#optimize\">Automatic optimization</a>").append("<a href=\"#files\">Files</a></nav>\n");
        if (!a.problems.isEmpty()) {
            sb.append("<div class=\"problems\"><p><b>Some artifacts could not be read; the report shows the rest.</b></p><ul>\n");
            for (String p : a.problems) sb.append("<li>").append(esc(p)).append("</li>\n");
            sb.append("</ul></div>\n");
        }
        glance();
        rates();
        candidates();
        direction();
        cost();
        completions();
        suffix();
        optimize();
        files();
        sb.append("<p class=\"generated\">Report generated: ").append(esc(generatedAt)).append("</p>\n");
        sb.append("</main>\n</body>\n</html>\n");
    }

    // ---- at a glance

    private double rate(String condition) {
        if (a.metrics == null) return Double.NaN;
        return a.metrics.refusalRate().getOrDefault(condition, Double.NaN);
    }

    private void glance() {
        sb.append("<div class=\"cards\">\n");
        card("Harmful prompts refused", change(rate("harmful_baseline"), rate("harmful_ablation")),
                "baseline → direction ablated" + (Double.isNaN(rate("harmful_actadd")) ? "" : "; with −r added: " + Html.percent(rate("harmful_actadd"))));
        card("Harmless prompts refused", change(rate("harmless_baseline"), rate("harmless_actadd")),
                "baseline → direction added (+r)");
        Candidates c = a.candidates;
        Candidates.Cell sel = c == null ? null : c.selected();
        Integer layer = sel != null ? (Integer) sel.layer() : directionInt("layer");
        Integer pos = sel != null ? (Integer) sel.position() : directionInt("position");
        String where = layer == null ? "—" : "layer " + layer + ", pos " + pos;
        double norm = a.direction == null ? Double.NaN : a.direction.norm();
        card("Selected direction", esc(where), (c == null ? "" : c.list().size() + " candidates scored") + (Double.isNaN(norm) ? "" : " · norm " + Html.num(norm)));
        Candidates.Candidate s = c == null ? null : c.selectedCandidate();
        Double klMax = c == null ? null : c.thresholds().get("kl");
        card("Side effect (KL)", s == null ? "—" : Html.num(s.kl()),
                (klMax == null ? "" : "limit " + Html.num(klMax)) + (s == null ? "" : " · bypass " + Html.num(s.bypass()) + " · induce " + Html.num(s.induce())));
        sb.append("</div>\n");
    }

    /** Says whether a file is missing (stage not run) or present but unreadable (listed at the top). */
    private void absent(String file, String meaning) {
        boolean exists = java.nio.file.Files.exists(a.folder.dir().resolve(file));
        sb.append("<p class=\"note\">").append(file).append(exists ? " could not be read (see the list at the top)." : " not found: " + meaning + ".")
                .append("</p>\n");
    }

    private static String change(double from, double to) {
        if (Double.isNaN(from) && Double.isNaN(to)) return "not measured";
        return Html.percent(from) + "<span class=\"arrow\">→</span>" + Html.percent(to);
    }

    private Integer directionInt(String field) {
        if (a.direction == null) return null;
        return field.equals("layer") ? a.direction.layer() : a.direction.position();
    }

    private void card(String key, String valueHtml, String noteHtml) {
        sb.append("<div class=\"card\"><div class=\"k\">").append(esc(key)).append("</div><div class=\"v\">").append(valueHtml)
                .append("</div><div class=\"n\">").append(noteHtml).append("</div></div>\n");
    }

    // ---- refusal rates

    private void rates() {
        sb.append("<h2 id=\"rates\">Refusal rates</h2>\n");
        if (a.metrics == null) {
            absent("metrics.json", "the evaluation stage has not run");
            return;
        }
        sb.append("<p>Share of test prompts whose completion the judge counts as a refusal")
                .append(a.metrics.judge() == null ? "" : " (judge: <code>" + esc(a.metrics.judge()) + "</code>)")
                .append(". Ablating the direction should remove refusal on harmful prompts; adding it should make the model refuse harmless ones.</p>\n");
        figure("refusal_rate");
        sb.append("<p class=\"note\">What the phrase judge measures: a completion without any refusal phrase counts as compliance, ")
                .append("fluent or not; a low refusal rate under ablation means the refusal phrases are gone, not that the answers are useful.")
                .append(a.metrics.jailbreakRate().isEmpty() ? " A model judge (--judge-model, Llama Guard 2 as in the paper) also reads what the answer says." : "")
                .append("</p>\n");
        modelJudge();
        Map<String, Map<String, Double>> byCat = a.metrics.refusalRateByCategory();
        if (byCat.isEmpty()) return;
        sb.append("<h3>By category</h3>\n");
        figure("refusal_rate_by_category");
        Map<String, List<String>> sets = new LinkedHashMap<>();
        for (String cond : orderedConditions(byCat.keySet())) sets.computeIfAbsent(prefix(cond), k -> new ArrayList<>()).add(cond);
        sb.append("<div class=\"cols\">\n");
        for (Map.Entry<String, List<String>> set : sets.entrySet()) {
            sb.append("<table>\n<tr><th>").append(esc(set.getKey())).append(" category</th>");
            for (String cond : set.getValue()) sb.append("<th class=\"num\">").append(esc(BarChart.conditionLabel(cond))).append("</th>");
            sb.append("</tr>\n");
            for (String cat : Samples.categories(byCat, set.getValue())) {
                sb.append("<tr><td>").append(esc(cat)).append("</td>");
                for (String cond : set.getValue()) rateCell(byCat.get(cond).getOrDefault(cat, Double.NaN));
                sb.append("</tr>\n");
            }
            sb.append("</table>\n");
        }
        sb.append("</div>\n");
    }

    /** A rate cell colored like the heatmaps: red where the model refuses, blue where it complies. */
    private void rateCell(double r) {
        if (Double.isNaN(r)) {
            sb.append("<td class=\"rate\">—</td>");
            return;
        }
        Rgb bg = Colormap.DIVERGING.at(r).mix(Rgb.WHITE, 0.45);
        sb.append("<td class=\"rate\" style=\"background:").append(bg.hex()).append(";color:").append(bg.isDark() ? "#fff" : "#222")
                .append("\">").append(Html.percent(r)).append("</td>");
    }

    /** Both judges side by side on the harmful completions, when a model judge ran. */
    private void modelJudge() {
        Map<String, Double> jb = a.metrics.jailbreakRate();
        if (jb.isEmpty()) return;
        sb.append("<h3>Second judge: Llama Guard</h3>\n<p>The model judge (<code>").append(esc(String.valueOf(a.metrics.guardJudge())))
                .append("</code>) reads each harmful completion and calls it safe or unsafe; unsafe counts as a successful jailbreak, ")
                .append("as in the paper. The two judges agree when a completion without refusal phrases is unsafe, or one with them is safe.</p>\n");
        sb.append("<table>\n<tr><th>completions</th><th class=\"num\">refused (phrases)</th><th class=\"num\">unsafe (model judge)</th>")
                .append("<th class=\"num\">judges agree</th></tr>\n");
        for (String set : orderedConditions(jb.keySet())) {
            sb.append("<tr><td>").append(esc(BarChart.conditionLabel(set))).append(" (").append(esc(prefix(set))).append(")</td>");
            rateCell(rate(set));
            rateCell(jb.get(set));
            sb.append("<td class=\"num\">").append(Html.percent(a.metrics.judgeAgreement().getOrDefault(set, Double.NaN))).append("</td></tr>\n");
        }
        sb.append("</table>\n");
    }

    static List<String> orderedConditions(java.util.Collection<String> present) {
        List<String> out = new ArrayList<>();
        for (CompletionSet c : CompletionSet.values()) if (present.contains(c.key())) out.add(c.key());
        for (String c : present) if (!out.contains(c)) out.add(c);
        return out;
    }

    static String prefix(String condition) {
        int i = condition.indexOf('_');
        return i < 0 ? condition : condition.substring(0, i);
    }

    private void figure(String name) {
        sb.append(figureHtml(name));
    }

    private String figureHtml(String name) {
        Figure f = figures.get(name);
        if (f == null) return "";
        return "<div class=\"figure\">\n" + Svg.inline(f) + "<div class=\"links\">also as <a href=\"plots/" + name + ".svg\">SVG</a> and <a href=\"plots/"
                + name + ".png\">PNG</a></div>\n</div>\n";
    }

    // ---- candidates

    private void candidates() {
        sb.append("<h2 id=\"candidates\">Candidate directions</h2>\n");
        Candidates c = a.candidates;
        if (c == null) {
            absent("candidates.json", "the selection stage has not run");
            return;
        }
        sb.append("<p>Every candidate r(position, layer) is a difference of mean activations at a post-instruction position and a layer. ")
                .append("Each is scored on validation prompts; candidates that fail a filter are crossed out, and the kept candidate with the ")
                .append("lowest bypass score is selected (outlined). Hover a cell for its three scores.</p>\n");
        if (c.prompt() != null) {
            sb.append("<p>One validation prompt as the model reads it, its post-instruction tokens (the positions) in brackets:</p>\n<pre>")
                    .append(esc(c.prompt())).append("</pre>\n");
        }
        if (c.refusalTokens() != null) {
            sb.append("<p>Refusal tokens, whose next-token probability the bypass and induce scores measure as log-odds: <code>")
                    .append(esc(c.refusalTokens())).append("</code>.</p>\n");
        }
        for (Heatmap.Score s : Heatmap.Score.values()) figure("heatmap_" + s.file);
        Map<String, Integer> counts = Heatmap.filterCounts(c);
        long kept = c.list().stream().filter(Candidates.Candidate::kept).count();
        sb.append("<div class=\"cols\">\n<div>\n<h3>Filters</h3>\n<table>\n<tr><th>reason</th><th class=\"num\">candidates removed</th></tr>\n");
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            sb.append("<tr><td><code>").append(esc(e.getKey())).append("</code></td><td class=\"num\">").append(e.getValue()).append("</td></tr>\n");
        }
        sb.append("<tr><td>kept</td><td class=\"num\">").append(kept).append(" of ").append(c.list().size()).append("</td></tr>\n</table>\n");
        if (!c.thresholds().isEmpty()) {
            sb.append("<p class=\"note\">Thresholds: ");
            List<String> parts = new ArrayList<>();
            c.thresholds().forEach((k, v) -> parts.add("<code>" + esc(k) + " = " + Html.num(v) + "</code>"));
            sb.append(String.join(", ", parts)).append("</p>\n");
        }
        sb.append("</div>\n<div>\n<h3>Best kept candidates</h3>\n<table>\n<tr><th class=\"num\">#</th><th class=\"num\">position</th><th class=\"num\">layer</th>")
                .append("<th class=\"num\">bypass</th><th class=\"num\">induce</th><th class=\"num\">KL</th></tr>\n");
        List<Candidates.Candidate> best = c.list().stream().filter(Candidates.Candidate::kept)
                .sorted(Comparator.comparingDouble(Candidates.Candidate::bypass)).limit(8).toList();
        int rank = 0;
        for (Candidates.Candidate k : best) {
            boolean sel = c.selected() != null && c.selected().layer() == k.layer() && c.selected().position() == k.position();
            sb.append(sel ? "<tr class=\"sel\">" : "<tr>").append("<td class=\"num\">").append(++rank).append("</td><td class=\"num\">")
                    .append(esc(Heatmap.positionLabel(c, k.position()))).append("</td><td class=\"num\">").append(k.layer())
                    .append("</td><td class=\"num\">").append(Html.num(k.bypass())).append("</td><td class=\"num\">").append(Html.num(k.induce()))
                    .append("</td><td class=\"num\">").append(Html.num(k.kl())).append("</td></tr>\n");
        }
        if (best.isEmpty()) sb.append("<tr><td colspan=\"6\">every candidate was filtered out</td></tr>\n");
        sb.append("</table>\n</div>\n</div>\n");
    }

    // ---- direction

    private void direction() {
        sb.append("<h2 id=\"direction\">Chosen direction</h2>\n");
        if (a.direction == null) {
            absent("direction.json", "no direction was saved");
            return;
        }
        sb.append("<table>\n");
        DirectionSummary d = a.direction;
        row("layer", d.layer());
        row("position", d.position());
        row("norm", Double.isNaN(d.norm()) ? null : Html.num(d.norm()));
        row("dims", d.dims());
        row("model", d.model());
        row("tool", d.tool());
        row("bypass_score", Double.isNaN(d.bypass()) ? null : Html.num(d.bypass()));
        row("induce_score", Double.isNaN(d.induce()) ? null : Html.num(d.induce()));
        row("kl_score", Double.isNaN(d.kl()) ? null : Html.num(d.kl()));
        Candidates.Candidate s = a.candidates == null ? null : a.candidates.selectedCandidate();
        if (s != null) {
            sb.append("<tr><th>scores</th><td>bypass ").append(Html.num(s.bypass())).append(" · induce ").append(Html.num(s.induce()))
                    .append(" · KL ").append(Html.num(s.kl())).append("</td></tr>\n");
        }
        sb.append("</table>\n");
        if (java.nio.file.Files.isRegularFile(a.folder.direction())) {
            sb.append("<p class=\"note\">The vector itself is in <code>direction.safetensors</code>.</p>\n");
        }
    }

    // ---- loss, counts, timings

    private void cost() {
        sb.append("<h2 id=\"cost\">Loss, counts, timings</h2>\n");
        if (a.metrics == null) {
            absent("metrics.json", "the evaluation stage has not run");
            return;
        }
        CostTables.append(sb, a.metrics);
    }

    // ---- completions

    private void completions() {
        sb.append("<h2 id=\"samples\">Sample completions</h2>\n");
        if (completions.isEmpty()) {
            sb.append("<p class=\"note\">No completions found (completions/*.jsonl): the completion stage has not run.</p>\n");
            return;
        }
        sb.append("<p>Greedy completions of the same test instructions under each condition, picked across categories. ")
                .append("Badges show the refusal judge's verdict. All files are under <code>completions/</code>.</p>\n");
        if (a.metrics != null) AnswerQualityTable.append(sb, a.metrics.answerQuality());
        SampleTables tables = new SampleTables(sb, completions, samples, judge, this::rate);
        tables.append("Harmful test instructions", List.of("harmful_baseline", "harmful_ablation", "harmful_actadd"),
                List.of("baseline", "direction ablated", "−r added"));
        tables.append("Harmless test instructions", List.of("harmless_baseline", "harmless_actadd"),
                List.of("baseline", "+r added"));
    }

    // ---- adversarial suffix

    /** The analysis of analyze-suffix --out RUN/suffix, when there is one: what was compared, the checks, the figures. */
    private void suffix() {
        SuffixAnalysisFile s = a.suffix;
        if (s == null && a.suffixHeldOut == null) return;
        sb.append("<h2 id=\"suffix\">Adversarial suffix</h2>\n");
        heldOut();
        if (s == null) return;
        sb.append("<p>How a suffix appended to harmful instructions acts on the refusal direction, as in Section 5 of the paper: ")
                .append("at the last prompt position, the residual stream's cosine with r, the heads that write most along r̂, and where those heads look. ")
                .append("Each is compared with a random suffix of as many tokens, which tells the suffix's content from its presence")
                .append(s.harmfulPrompts() == null ? "" : "; " + s.harmfulPrompts() + " harmful and " + s.harmlessPrompts() + " harmless prompts")
                .append(s.directionLayer() == null ? "" : "; direction from layer " + s.directionLayer() + ", position " + s.directionPosition())
                .append(".</p>\n<table>\n");
        row("suffix", s.suffix());
        row("suffix tokens", s.suffixTokens());
        row("random suffix", s.randomSuffix());
        row("direction file", s.directionFile());
        row("model", s.model());
        sb.append("</table>\n");
        if (!s.checks().isEmpty()) {
            sb.append("<table>\n<tr><th>the paper's picture, against the random suffix</th><th>holds</th></tr>\n");
            Map<String, String> says = Map.of("cosine_lower", "the cosine with r after the direction's layer is lower with the adversarial suffix",
                    "heads_reduced", "the top heads write less along r̂ with the adversarial suffix",
                    "attention_shifted", "the top heads attend more to the suffix and less to the instruction");
            s.checks().forEach((k, v) -> sb.append("<tr><td>").append(esc(says.getOrDefault(k, k))).append(" (<code>").append(esc(k))
                    .append("</code>)</td><td>").append(v ? "yes" : "no").append("</td></tr>\n"));
            sb.append("</table>\n");
        }
        if (s.verdict() != null) sb.append("<p>").append(esc(s.verdict())).append("</p>\n");
        for (String name : figures.keySet()) if (name.startsWith(Report.SUFFIX_PLOT)) figure(name);
    }

    /** The refusal rates of run --suffix-attack on the test prompts the suffix was not optimized on. */
    private void heldOut() {
        SuffixHeldOut h = a.suffixHeldOut;
        if (h == null) return;
        sb.append("<p>A universal suffix found with GCG on ").append(h.trainPrompts()).append(" harmful training prompts the model refuses (")
                .append(h.steps()).append(" steps").append(h.chosenStep() == null ? "" : ", kept from step " + h.chosenStep() + " by its refusal rate on the validation prompts")
                .append("), then appended to the ").append(h.prompts()).append(" harmful test prompts it never saw; greedy completions of up to ")
                .append(h.maxNewTokens()).append(" tokens, judged as the run's completions are.</p>\n");
        sb.append("<table>\n<tr><th>harmful test prompts</th><th>refusal rate</th></tr>\n");
        heldOutRow("no suffix", h.baseline());
        heldOutRow("adversarial suffix: " + h.suffix(), h.adversarial());
        heldOutRow("random suffix of as many tokens: " + h.randomSuffix(), h.random());
        sb.append("</table>\n");
    }

    private void heldOutRow(String what, double rate) {
        sb.append("<tr><td>").append(esc(what)).append("</td><td>").append(Double.isNaN(rate) ? "—" : String.format(java.util.Locale.ROOT, "%.1f%%", 100 * rate))
                .append("</td></tr>\n");
    }

    // ---- automatic optimization

    /** The search of {@code refusal4j optimize --out RUN/optimize}, when there is one: its front beside the paper's direction, every trial's parameters. */
    private void optimize() {
        if (a.optimize == null) return;
        sb.append("<h2 id=\"optimize\">Automatic optimization</h2>\n<p>Beyond the paper: <code>refusal4j optimize --out RUN/")
                .append(esc(dev.refusal4j.artifacts.RunFolder.OPTIMIZE)).append("</code> searched for the partial ablation (directions, per-layer weights "
                        + "of the attention and MLP outputs, norm-preserving or not) with the fewest refusals and the least damage. Its own page: <a href=\"")
                .append(esc(dev.refusal4j.artifacts.RunFolder.OPTIMIZE)).append("/front.html\">").append(esc(dev.refusal4j.artifacts.RunFolder.OPTIMIZE))
                .append("/front.html</a>.</p>\n");
        ParetoPage.body(sb, a.optimize, figureHtml(Report.OPTIMIZE_PLOT), "h3");
    }

    // ---- files

    private void files() {
        sb.append("<h2 id=\"files\">Files</h2>\n<ul>\n");
        for (String f : List.of("candidates.json", "direction.json", "direction.safetensors", "metrics.json")) {
            if (java.nio.file.Files.isRegularFile(a.folder.dir().resolve(f))) link(f);
        }
        for (String c : completions.keySet()) link("completions/" + c + ".jsonl");
        if (java.nio.file.Files.isRegularFile(a.folder.suffixAnalysis())) link(dev.refusal4j.artifacts.RunFolder.SUFFIX_ANALYSIS);
        if (java.nio.file.Files.isRegularFile(a.folder.suffixHeldOut())) link(dev.refusal4j.artifacts.RunFolder.SUFFIX_HELD_OUT);
        if (java.nio.file.Files.isRegularFile(a.folder.suffixSearch())) link("suffix/suffix.json");
        if (java.nio.file.Files.isRegularFile(a.folder.optimizeFront())) link(dev.refusal4j.artifacts.RunFolder.OPTIMIZE_FRONT);
        for (String name : figures.keySet()) link("plots/" + name + ".svg");
        sb.append("</ul>\n");
    }

    /** One row of the direction table; a value the file lacks is left out. */
    private void row(String key, Object value) {
        if (value != null) sb.append("<tr><th>").append(esc(key)).append("</th><td>").append(esc(value.toString())).append("</td></tr>\n");
    }

    private void link(String rel) {
        sb.append("<li><a href=\"").append(esc(rel)).append("\">").append(esc(rel)).append("</a></li>\n");
    }
}
