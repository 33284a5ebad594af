package dev.refusal4j.select;

import java.util.List;
import java.util.Map;

/**
 * Result of selection: a verdict for every candidate, so that nothing downstream filters again.
 *
 * @param verdicts    every candidate in the official loop order with the first filter that removed it (null: kept)
 * @param chosen      the kept candidate with the lowest bypass score; null when every candidate was removed
 * @param kept        every kept candidate, lowest bypass first (the paper's direction_evaluations_filtered.json)
 * @param discarded   how many candidates each filter discarded (each counted under the first filter it fails)
 * @param explanation when nothing is kept: what removed the candidates and which option would let some through
 */
public record Selection(List<Verdict> verdicts, CandidateScore chosen, List<CandidateScore> kept, Map<Filter, Integer> discarded,
                        String explanation) {
    public record Verdict(CandidateScore score, Filter filter) {}

    /** The chosen candidate; when there is none, a {@link NoCandidateLeftException} with the explanation. */
    public CandidateScore chosenOrThrow() {
        if (chosen == null) throw new NoCandidateLeftException(explanation);
        return chosen;
    }
}
