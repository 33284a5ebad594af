package dev.refusal4j.select;

import java.util.List;
import java.util.Map;

/**
 * Result of selection.
 *
 * @param chosen    the kept candidate with the lowest bypass score
 * @param kept      every kept candidate, lowest bypass first (the paper's direction_evaluations_filtered.json)
 * @param discarded how many candidates each filter discarded (each counted under the first filter it fails)
 */
public record Selection(CandidateScore chosen, List<CandidateScore> kept, Map<Filter, Integer> discarded) {}
