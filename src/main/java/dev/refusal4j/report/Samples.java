package dev.refusal4j.report;

import dev.refusal4j.evaluate.Completion;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Picks sample instructions for the side-by-side table and lines up each condition's response to
 * the same instruction. Deterministic: categories take turns in the order they first appear, and
 * within a category the file order is kept, so the samples cover as many categories as possible.
 */
final class Samples {
    /** {@code responses} is aligned with the conditions asked for; an entry is null where that file lacks the instruction. */
    record Row(String instruction, String category, List<Completion> responses) {}

    private Samples() {}

    static List<Row> pick(Map<String, List<Completion>> all, List<String> conditions, int n) {
        List<Completion> reference = null;
        for (String c : conditions) {
            if (all.containsKey(c)) {
                reference = all.get(c);
                break;
            }
        }
        if (reference == null || n <= 0) return List.of();
        Map<String, List<Integer>> byCategory = new LinkedHashMap<>();
        for (int i = 0; i < reference.size(); i++) {
            byCategory.computeIfAbsent(String.valueOf(reference.get(i).category()), k -> new ArrayList<>()).add(i);
        }
        List<Integer> chosen = new ArrayList<>();
        for (int round = 0; chosen.size() < Math.min(n, reference.size()); round++) {
            for (List<Integer> idx : byCategory.values()) {
                if (round < idx.size() && chosen.size() < n) chosen.add(idx.get(round));
            }
        }
        chosen.sort(null);
        List<Row> rows = new ArrayList<>();
        for (int i : chosen) {
            Completion ref = reference.get(i);
            List<Completion> cells = new ArrayList<>();
            for (String c : conditions) cells.add(match(all.get(c), i, ref.instruction()));
            rows.add(new Row(ref.instruction(), ref.category(), cells));
        }
        return rows;
    }

    /** The same instruction in another condition's file: at the same line when the files agree, else the first equal one. */
    private static Completion match(List<Completion> list, int index, String instruction) {
        if (list == null) return null;
        if (index < list.size() && java.util.Objects.equals(list.get(index).instruction(), instruction)) return list.get(index);
        for (Completion c : list) if (java.util.Objects.equals(c.instruction(), instruction)) return c;
        return null;
    }

    /** Categories in order of first appearance across the given conditions' rate tables. */
    static List<String> categories(Map<String, Map<String, Double>> byCategory, List<String> conditions) {
        Set<String> seen = new HashSet<>();
        List<String> out = new ArrayList<>();
        for (String c : conditions) {
            for (String k : byCategory.getOrDefault(c, Map.of()).keySet()) if (seen.add(k)) out.add(k);
        }
        return out;
    }
}
