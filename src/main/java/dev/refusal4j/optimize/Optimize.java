package dev.refusal4j.optimize;

import dev.refusal4j.Progress;
import dev.refusal4j.artifacts.FrontFile;
import dev.refusal4j.export.GgufConverter;
import dev.refusal4j.export.PartialExport;
import dev.refusal4j.intervene.Condition;
import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.report.ParetoPage;
import dev.refusal4j.select.NoCandidateLeftException;
import dev.refusal4j.tensor.quant.GgmlType;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code refusal4j optimize} as library calls: a search written to its output folder
 * ({@code journal.jsonl}, {@code front.json}, {@code front.html} and its plot), and the export of
 * one of its trials as a model folder.
 */
public final class Optimize {
    private Optimize() {}

    /**
     * Runs (or continues) the search to {@code trials} trials, measures the paper's direction and
     * the front on the held-out test prompts (answers of up to {@code testTokens} tokens), writes
     * the files and prints the front.
     */
    public static FrontFile search(Study study, Path out, int trials, int testTokens, boolean quiet, PrintStream print) throws IOException {
        if (trials < 1) throw new IllegalArgumentException("--trials must be at least 1, got " + trials);
        Journal journal = Journal.openOrCreate(out, study.header(), study.space);
        int before = journal.entries().size();
        if (before >= trials) say(quiet, "%s already holds %d trials; nothing to run", out.resolve(Journal.FILE), before);
        else if (before > 0) say(quiet, "resuming %s at trial %d of %d", out.resolve(Journal.FILE), before, trials);
        List<Journal.Entry> front;
        try (Progress p = new Progress("optimize", trials, "trials", quiet, before)) {
            front = Search.run(study, journal, trials, (e, f) -> {
                p.stepTo(e.trial() + 1);
                Journal.Entry low = f.isEmpty() ? null : f.getLast();
                p.extra(low == null ? "front empty" : String.format(Locale.ROOT, "front %d; lowest refusal %.1f%% at KL %.4f", f.size(), 100 * low.refusalRate(), low.kl()));
            });
        }
        List<Journal.Entry> all = journal.entries();
        say(quiet, "measuring the paper's direction and the %d front trials on the test prompts", front.size());
        FrontFile.Reference paper = null;
        String paperMissing = null;
        try {
            paper = study.paper(testTokens);
        } catch (NoCandidateLeftException e) { // e.g. random weights: nothing to refuse, every candidate filtered; the front stands without it
            paperMissing = e.getMessage();
            say(quiet, "the paper's selection found no direction, so the front has no paper point: %s", paperMissing);
        }
        Objectives test = study.testObjectives(testTokens);
        List<FrontFile.Point> points = new ArrayList<>();
        LayerDirections dirs = study.directions();
        for (Journal.Entry e : front) {
            Objectives.Result r = test.evaluate(study.space.edit(e.params(), dirs), Objectives.Hopeless.NEVER);
            points.add(new FrontFile.Point(e.trial(), e.refusalRate(), e.kl(), new FrontFile.Measure(r.refusalRate(), r.kl()), e.params()));
        }
        int pruned = (int) all.stream().filter(Journal.Entry::pruned).count();
        List<FrontFile.Point> finished = all.stream().filter(e -> !e.pruned()).map(e -> new FrontFile.Point(e.trial(), e.refusalRate(), e.kl(), null, e.params())).toList();
        FrontFile file = new FrontFile(study.header().model(), all.size(), pruned, paper, paperMissing, points, finished);
        file.write(out.resolve("front.json"));
        ParetoPage.write(out, file);
        print(file, print);
        printTimes(all, print);
        return file;
    }

    static void print(FrontFile f, PrintStream out) {
        printHeadAndPaper(f.paper(), f.paperMissing(), out);
        for (FrontFile.Point t : f.front()) trialRow(out, t.trial(), t.refusalRate(), t.kl(), t.test());
        out.printf("%d trials, %d pruned, %d on the front%n", f.trials(), f.pruned(), f.front().size());
    }

    private static void printHeadAndPaper(FrontFile.Reference p, String paperMissing, PrintStream out) {
        out.printf("%-22s %13s %10s %14s %10s%n", "", "refusal (val)", "KL (val)", "refusal (test)", "KL (test)");
        if (p == null) out.println("paper: its selection found no direction (" + paperMissing + ")");
        else out.printf(Locale.ROOT, "%-22s %12.1f%% %10.5f %13.1f%% %10.5f%n", "paper (layer " + p.layer() + ", pos " + p.position() + ")", 100 * p.val().refusalRate(),
                p.val().kl(), 100 * p.test().refusalRate(), p.test().kl());
    }

    private static void trialRow(PrintStream out, int trial, double refusalRate, double kl, FrontFile.Measure test) {
        out.printf(Locale.ROOT, "%-22s %12.1f%% %10.5f %13.1f%% %10.5f%n", "trial " + trial, 100 * refusalRate, kl, 100 * test.refusalRate(), test.kl());
    }

    /**
     * Measures trial {@code which} (as {@link #export} picks it) of the search in {@code out} on the
     * held-out test prompts as the search measures its front (answers of up to {@code testTokens}
     * tokens), and prints it below the paper's direction; a trial off the front has no test numbers
     * in {@code front.json}. A pruned trial's validation refusal rate prints as NaN.
     */
    public static FrontFile.Measure evaluate(Study study, Path out, String which, Double maxRefusal, int testTokens, PrintStream print) throws IOException {
        Journal.Entry e = trial(study, out, "--evaluate", which, maxRefusal);
        Objectives objectives = study.testObjectives(testTokens);
        PartialAblation edit = study.space.edit(e.params(), study.directions());
        Objectives.Result r = objectives.evaluate(edit, Objectives.Hopeless.NEVER);
        FrontFile.Measure test = new FrontFile.Measure(r.refusalRate(), r.kl());
        FrontFile.Reference paper = null;
        String paperMissing = null;
        try {
            paper = study.paper(testTokens);
        } catch (NoCandidateLeftException ex) {
            paperMissing = ex.getMessage();
        }
        printHeadAndPaper(paper, paperMissing, print);
        trialRow(print, e.trial(), e.refusalRate(), e.kl(), test);
        double[] paperKl = paper == null ? null : objectives.klPerPrompt(Condition.ABLATION.hooks(study.paperDirection(), 1f));
        printLargestKl(objectives, objectives.klPerPrompt(edit), paperKl, e.trial(), print);
        return test;
    }

    /** Harmless test prompts shown by {@link #printLargestKl}. */
    static final int LARGEST_KL_SHOWN = 5;

    /**
     * The harmless test prompts with the largest KL (the paper's edit's when there is one, else the
     * trial's), with each one's share of the mean and the unedited model's refusal score: a mean KL
     * far above the validation one is often a few prompts the model almost refuses (score near 0),
     * whose refusal any edit that removes refusals takes away.
     */
    static void printLargestKl(Objectives objectives, double[] trialKl, double[] paperKl, int trial, PrintStream out) {
        double[] order = paperKl != null ? paperKl : trialKl;
        double[] score = objectives.harmlessRefusalScores();
        double paperSum = paperKl == null ? Double.NaN : Arrays.stream(paperKl).sum(), trialSum = Arrays.stream(trialKl).sum();
        Integer[] idx = new Integer[order.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(order[b], order[a]));
        out.printf("harmless test prompts with the largest KL (%d measured; share of each edit's mean in brackets):%n", order.length);
        out.printf("%13s %16s %14s  %s%n", "paper", "trial " + trial, "refusal score", "prompt");
        for (int k = 0; k < Math.min(LARGEST_KL_SHOWN, idx.length); k++) {
            int i = idx[k];
            String p = paperKl == null ? "-" : String.format(Locale.ROOT, "%.3f (%2.0f%%)", paperKl[i], 100 * paperKl[i] / paperSum);
            out.printf(Locale.ROOT, "%13s %16s %14.2f  %s%n", p, String.format(Locale.ROOT, "%.3f (%2.0f%%)", trialKl[i], 100 * trialKl[i] / trialSum), score[i],
                    objectives.harmless().prompts().get(i).instruction());
        }
    }

    /** Seconds per trial over the journal's trials (what each trial took when it ran), with the pruned ones apart. */
    static void printTimes(List<Journal.Entry> all, PrintStream out) {
        double sum = 0, sumPruned = 0;
        int pruned = 0;
        for (Journal.Entry e : all) {
            sum += e.seconds();
            if (e.pruned()) {
                sumPruned += e.seconds();
                pruned++;
            }
        }
        int done = all.size() - pruned;
        out.printf(Locale.ROOT, "seconds per trial: %.3f (finished %.3f, pruned %.3f)%n", sum / Math.max(1, all.size()),
                (sum - sumPruned) / Math.max(1, done), sumPruned / Math.max(1, pruned));
    }

    /** The settings a journal was written with, to rebuild its study. */
    public static Study.Settings settings(Journal.Header h, Path model, int batch, int nTest) {
        Map<String, String> s = h.settings();
        return new Study.Settings(model, Long.parseLong(s.get("seed")), Integer.parseInt(s.get("startup_trials")), Integer.parseInt(s.get("max_new_tokens")), batch,
                Integer.parseInt(s.get("n_train")), Integer.parseInt(s.get("n_val")), Integer.parseInt(s.get("n_test")), Long.parseLong(s.get("prompt_seed")));
    }

    /**
     * Writes the model of trial {@code which} (a number, or {@code best}: the lowest KL with a
     * refusal rate at most {@code maxRefusal}) of the search in {@code out} to {@code to}: a
     * safetensors folder in the source's dtype, or, when {@code to} ends in {@code .gguf}, one GGUF
     * file as {@code convert} writes it, the matrices in {@code ggufType} (null: as stored).
     */
    public static Path export(Study study, Path out, String which, Double maxRefusal, Path to, boolean force, GgmlType ggufType) throws IOException {
        boolean gguf = isGguf(to);
        if (ggufType != null && !gguf) throw new IllegalArgumentException("--outtype is for a GGUF export; --to " + to + " is a folder (its dtype is the source's)");
        if (gguf && Files.isDirectory(to)) throw new IllegalArgumentException("--to " + to + " is a folder; give the .gguf file to write");
        if (gguf && Files.exists(to) && !force) throw new IllegalArgumentException("--to " + to + " exists; give --force to replace it");
        Journal.Entry e = trial(study, out, "--export", which, maxRefusal);
        PartialAblation edit = study.space.edit(e.params(), study.directions());
        String what = "trial " + e.trial() + (e.pruned() ? " (pruned)" : String.format(Locale.ROOT, " (refusal %.3f, KL %.5f on validation)", e.refusalRate(), e.kl()))
                + ": " + SearchSpace.describe(e.params());
        if (!gguf) return PartialExport.write(study.settings.model(), edit, what, to, force);
        return GgufConverter.of(study.settings.model()).type(ggufType).edit(edit, what).write(to);
    }

    /**
     * Trial {@code which} of the search in {@code out}: a number, or {@code best} (the lowest KL with
     * a refusal rate at most {@code maxRefusal}); {@code option} names the flag in the errors.
     */
    static Journal.Entry trial(Study study, Path out, String option, String which, Double maxRefusal) throws IOException {
        Journal journal = Journal.read(out.resolve(Journal.FILE), study.space);
        if (!journal.header().fingerprint().equals(Study.fingerprint(study.settings.model()))) {
            throw new IllegalArgumentException(out.resolve(Journal.FILE) + ": this journal is of the model " + journal.header().model() + ", not of " + study.settings.model());
        }
        List<Journal.Entry> all = journal.entries();
        if (which.equalsIgnoreCase("best")) {
            if (maxRefusal == null) throw new IllegalArgumentException(option + " best needs --max-refusal RATE: the lowest KL among trials refusing at most RATE");
            return Search.best(all, maxRefusal);
        } else {
            int t;
            try {
                t = Integer.parseInt(which.trim());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(option + " " + which + ": expected a trial number or 'best'");
            }
            if (t < 0 || t >= all.size()) throw new IllegalArgumentException(option + " " + t + ": " + out.resolve(Journal.FILE) + " holds trials 0.." + (all.size() - 1));
            return all.get(t);
        }
    }

    /** Whether an export to {@code to} is a GGUF file (by its name) rather than a model folder. */
    private static boolean isGguf(Path to) {
        return to.getFileName() != null && to.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    private static void say(boolean quiet, String fmt, Object... args) {
        if (!quiet) System.err.printf(fmt + "%n", args);
    }

}
