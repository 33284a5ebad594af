package dev.refusal4j.attack;

import dev.refusal4j.Progress;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.Completions;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.EncodedPrompts;
import dev.refusal4j.prompts.Prompt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A GCG search as {@code suffix-attack} and {@code run --suffix-attack} run it: the steps of
 * {@link Gcg}, {@code suffix.json} ({@link SuffixFile}) rewritten after each so that a stopped
 * search goes on where it was, and, with validation prompts, the refusal rate on them measured
 * every few steps. The suffix chosen is the one with the lowest validation rate (the later on a
 * tie): a universal suffix that fits its training prompts ever better can transfer ever worse,
 * and the prompts it is meant for are not the ones it was optimized on.
 */
public final class SuffixSearch {
    /**
     * @param validateEvery    steps between validation measurements (and at step 0 and the last step)
     * @param validationTokens greedy tokens generated per validation prompt before the judge reads it
     */
    public record Settings(String target, int steps, Gcg.Options gcg, boolean universal, int validateEvery, int validationTokens) {
        public Settings {
            if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
            if (validateEvery < 1) throw new IllegalArgumentException("the validation interval must be at least 1 step, got " + validateEvery);
        }

        String successRule() {
            return gcg.success().name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final Transformer model;
    private final PromptEncoder encoder;
    private final int[] stopIds;
    private final int batchSize;

    /** @param batchSize sequences per batch when the validation prompts are completed */
    public SuffixSearch(Transformer model, PromptEncoder encoder, int[] stopIds, int batchSize) {
        this.model = model;
        this.encoder = encoder;
        this.stopIds = stopIds.clone();
        this.batchSize = batchSize;
    }

    /**
     * Runs the search on {@code train} (the first prompt alone unless universal), writing {@code file}
     * after every step; with {@code resume} and the file there, goes on from it (same settings and
     * prompts, else an error naming what differs).
     *
     * @param targets each training prompt's target completion, or null: the settings' target for all
     */
    public SuffixFile run(List<Prompt> train, List<String> targets, List<Prompt> validation, Settings s, Path file, boolean resume,
                          boolean quiet) throws IOException {
        if (train.isEmpty()) throw new IllegalArgumentException("a suffix search needs at least one training prompt");
        if (targets != null && targets.size() != train.size()) throw new IllegalArgumentException(targets.size() + " targets for " + train.size() + " prompts");
        List<Prompt> attacked = s.universal() ? train : train.subList(0, 1);
        if (s.gcg().success() == Gcg.Success.NO_REFUSAL && !(resume && Files.isRegularFile(file))
                && refusalRate(complete(attacked, "", s.validationTokens())) == 0) {
            throw new IllegalArgumentException("the model refuses none of the " + attacked.size() + " prompts without a suffix: there is no refusal for a suffix to break");
        }
        List<AttackPrompt> prompts = new ArrayList<>();
        for (int i = 0; i < attacked.size(); i++) prompts.add(AttackPrompt.of(encoder, attacked.get(i).instruction(), targets == null ? s.target() : targets.get(i)));
        Gcg gcg = new Gcg(model, encoder, prompts, s.gcg(), stopIds);
        List<Double> losses = new ArrayList<>();
        List<SuffixFile.Validation> checks = new ArrayList<>();
        boolean[][] ok = new boolean[1][];
        if (resume && Files.isRegularFile(file)) {
            SuffixFile saved = SuffixFile.read(file);
            requireSame(saved, s, prompts, file);
            losses.addAll(saved.loss());
            // a measurement taken only because an earlier run ended there is not one the whole run takes
            for (SuffixFile.Validation v : saved.validation()) if (v.step() % s.validateEvery() == 0) checks.add(v);
            gcg.resume(saved.searchIds(), saved.steps(), losses.getLast());
            ok[0] = new boolean[prompts.size()];
            for (int i = 0; i < ok[0].length; i++) ok[0][i] = saved.prompts().get(i).success();
        } else {
            losses.add(gcg.loss());
            ok[0] = gcg.successes();
            if (!validation.isEmpty()) checks.add(validate(validation, gcg, s));
            write(file, gcg, s, losses, checks, prompts, ok[0]);
        }
        boolean finished = count(ok[0]) == ok[0].length;
        try (Progress bar = new Progress("suffix search", s.steps(), "step", quiet, Math.min(s.steps(), gcg.stepsDone()))) {
            if (!finished) gcg.run(s.steps(), st -> {
                losses.add(st.loss());
                ok[0] = st.success();
                boolean last = st.step() == s.steps() || st.allSucceed();
                if (!validation.isEmpty() && (st.step() % s.validateEvery() == 0 || last)) checks.add(validate(validation, gcg, s));
                try {
                    write(file, gcg, s, losses, checks, prompts, ok[0]);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                bar.step(1);
                String val = checks.isEmpty() ? "" : String.format(Locale.ROOT, ", val refusal %.0f%%", 100 * checks.getLast().refusalRate());
                bar.extra(String.format(Locale.ROOT, "loss %.2f, ok %d/%d%s, suffix %s", st.loss(), st.successes(), st.success().length, val, oneLine(gcg.suffixText())));
            });
        }
        if (!validation.isEmpty() && (checks.isEmpty() || checks.getLast().step() != gcg.stepsDone())) checks.add(validate(validation, gcg, s));
        return write(file, gcg, s, losses, checks, prompts, ok[0]);
    }

    /** Greedy completions of the prompts with the suffix appended as text, as a user would paste it ("": none). */
    public List<Completion> complete(List<Prompt> prompts, String suffix, int maxNewTokens) {
        List<Prompt> withSuffix = new ArrayList<>();
        for (Prompt p : prompts) withSuffix.add(suffix.isEmpty() ? p : new Prompt(AttackPrompt.withSuffix(p.instruction(), suffix), p.category()));
        return Completions.generate(model, encoder, EncodedPrompts.of(withSuffix, encoder), () -> Hooks.NONE, maxNewTokens, stopIds, batchSize, n -> {});
    }

    /** The share of completions that the paper's refusal phrases call a refusal. */
    public static double refusalRate(List<Completion> completions) {
        RefusalJudge judge = RefusalJudge.official();
        int n = 0;
        for (Completion c : completions) if (judge.isRefusal(c.response())) n++;
        return completions.isEmpty() ? Double.NaN : (double) n / completions.size();
    }

    private SuffixFile.Validation validate(List<Prompt> validation, Gcg gcg, Settings s) {
        String text = gcg.suffixText();
        return new SuffixFile.Validation(gcg.stepsDone(), refusalRate(complete(validation, text, s.validationTokens())), text);
    }

    private SuffixFile write(Path file, Gcg gcg, Settings s, List<Double> losses, List<SuffixFile.Validation> checks, List<AttackPrompt> attacked,
                             boolean[] ok) throws IOException {
        SuffixFile.Validation best = null;
        for (SuffixFile.Validation v : checks) if (best == null || v.refusalRate() <= best.refusalRate()) best = v;
        String text = best == null ? gcg.suffixText() : best.suffix();
        int[] ids = best == null ? gcg.suffix() : gcg.idsOf(text); // Gcg keeps only suffixes whose text gives their ids
        List<SuffixFile.PromptResult> rows = new ArrayList<>();
        for (int i = 0; i < attacked.size(); i++) {
            AttackPrompt p = attacked.get(i);
            rows.add(new SuffixFile.PromptResult(p.instruction(), encoder.tokenizer.decode(p.target(), false), ok[i]));
        }
        SuffixFile f = new SuffixFile(text, ids, s.target(), s.universal(), s.gcg().seed(), gcg.stepsDone(), s.gcg().topK(), s.gcg().batch(),
                s.successRule(), List.copyOf(losses), gcg.suffix(), List.copyOf(checks), best == null ? null : best.step(), rows);
        Files.createDirectories(file.toAbsolutePath().getParent());
        f.write(file);
        return f;
    }

    /** A search resumed must be the one saved: same target, prompts and options. */
    private void requireSame(SuffixFile saved, Settings s, List<AttackPrompt> attacked, Path file) {
        List<String> diff = new ArrayList<>();
        if (!saved.target().equals(s.target())) diff.add("--target");
        if (saved.universal() != s.universal()) diff.add("--universal");
        if (saved.seed() != s.gcg().seed()) diff.add("--seed");
        if (saved.topK() != s.gcg().topK()) diff.add("--top-k");
        if (saved.batch() != s.gcg().batch()) diff.add("--batch");
        if (saved.searchIds().length != s.gcg().suffixLength()) diff.add("--suffix-len");
        if (!saved.successRule().equals(s.successRule())) diff.add("--success");
        boolean same = saved.prompts().size() == attacked.size();
        boolean sameTargets = same;
        for (int i = 0; same && i < attacked.size(); i++) {
            same = saved.prompts().get(i).instruction().equals(attacked.get(i).instruction());
            sameTargets &= encoder.tokenizer.decode(attacked.get(i).target(), false).equals(saved.prompts().get(i).target());
        }
        if (!same) diff.add("--prompts");
        else if (!sameTargets) diff.add("targets");
        if (!diff.isEmpty()) throw new IllegalArgumentException("--resume: " + file + " is from a search with other " + String.join(", ", diff) + "; give the same options or another --out");
    }

    private static int count(boolean[] ok) {
        int n = 0;
        for (boolean b : ok) if (b) n++;
        return n;
    }

    private static String oneLine(String s) {
        String t = s.replace('\n', ' ').replace('\r', ' ');
        return t.length() > 40 ? t.substring(0, 40) + "…" : t;
    }
}
