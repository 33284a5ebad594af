package dev.refusal4j.optimize;

import dev.refusal4j.intervene.PartialAblation;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The search loop: trial after trial, the sampler proposes a point (the study's
 * {@linkplain Study#startPoints start points} first), the point becomes an edit,
 * the edit is measured (pruned as soon as an earlier trial is at least as good in both objectives
 * whatever its refusal rate turns out to be), and the trial is appended to the journal before the
 * next begins. A journal that already holds trials is continued where it ended.
 */
public final class Search {
    /** Told each finished trial and the front after it. */
    public interface Listener {
        void trial(Journal.Entry e, List<Journal.Entry> front);
    }

    private Search() {}

    public static List<Journal.Entry> run(Study study, Journal journal, int trials, Listener listener) throws IOException {
        if (trials < 1) throw new IllegalArgumentException("--trials must be at least 1, got " + trials);
        Tpe tpe = new Tpe(study.space, study.settings.seed(), study.settings.startup());
        Objectives objectives = study.objectives();
        LayerDirections dirs = study.directions();
        List<Map<String, Double>> start = journal.entries().size() < trials ? study.startPoints() : List.of();
        for (int t = journal.entries().size(); t < trials; t++) {
            List<Journal.Entry> done = journal.entries();
            List<Tpe.Observation> history = new ArrayList<>();
            for (Journal.Entry e : done) history.add(new Tpe.Observation(e.params(), e.objectives()));
            Map<String, Double> params = t < start.size() ? start.get(t) : tpe.suggest(t, history);
            long t0 = System.nanoTime();
            PartialAblation edit = study.space.edit(params, dirs);
            Objectives.Result r = objectives.evaluate(edit, (minRefusal, kl) -> done.stream()
                    .anyMatch(e -> !e.pruned() && e.refusalRate() <= minRefusal && e.kl() <= kl));
            Journal.Entry e = new Journal.Entry(t, r.pruned(), r.refusalRate(), r.kl(), (System.nanoTime() - t0) / 1e9, params);
            journal.append(e);
            if (listener != null) listener.trial(e, front(journal.entries()));
        }
        return front(journal.entries());
    }

    /** The finished trials no other finished trial dominates, by KL then refusal rate. */
    public static List<Journal.Entry> front(List<Journal.Entry> entries) {
        List<Journal.Entry> done = entries.stream().filter(e -> !e.pruned()).toList();
        List<Journal.Entry> out = new ArrayList<>();
        for (Journal.Entry a : done) {
            if (done.stream().noneMatch(b -> Pareto.dominates(b.objectives(), a.objectives()))) out.add(a);
        }
        out.sort(java.util.Comparator.comparingDouble(Journal.Entry::kl).thenComparingDouble(Journal.Entry::refusalRate).thenComparingInt(Journal.Entry::trial));
        return out;
    }

    /** The trial of lowest KL whose refusal rate is at most {@code maxRefusal}; an error naming the closest when none is. */
    public static Journal.Entry best(List<Journal.Entry> entries, double maxRefusal) {
        List<Journal.Entry> f = front(entries);
        if (f.isEmpty()) throw new IllegalArgumentException("no trial has finished yet (all " + entries.size() + " pruned or none run)");
        return f.stream().filter(e -> e.refusalRate() <= maxRefusal).findFirst().orElseThrow(() -> {
            Journal.Entry low = f.getLast();
            return new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "no trial of %d has a refusal rate at most %.3f; the lowest is %.3f (trial %d, KL %.4f): raise --max-refusal or run more trials",
                    entries.size(), maxRefusal, low.refusalRate(), low.trial(), low.kl()));
        });
    }
}
