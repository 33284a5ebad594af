package dev.refusal4j.optimize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Non-dominated sorting and crowding distance for minimised objective vectors. */
public final class Pareto {
    private Pareto() {}

    /** a dominates b: no worse in every objective, better in one. */
    public static boolean dominates(double[] a, double[] b) {
        boolean better = false;
        for (int i = 0; i < a.length; i++) {
            if (a[i] > b[i]) return false;
            if (a[i] < b[i]) better = true;
        }
        return better;
    }

    /** The rank of each point: 0 for the non-dominated, 1 for those dominated only by rank 0, … */
    public static int[] ranks(List<double[]> points) {
        int n = points.size();
        int[] rank = new int[n];
        Arrays.fill(rank, -1);
        int assigned = 0;
        for (int r = 0; assigned < n; r++) {
            List<Integer> front = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (rank[i] >= 0) continue;
                boolean dominated = false;
                for (int j = 0; j < n && !dominated; j++) dominated = j != i && rank[j] < 0 && dominates(points.get(j), points.get(i)); // j not in an earlier front
                if (!dominated) front.add(i);
            }
            for (int i : front) rank[i] = r;
            assigned += front.size();
        }
        return rank;
    }

    /** Crowding distance of each point among {@code points} (one front): infinite at the ends of each objective. */
    public static double[] crowding(List<double[]> points) {
        int n = points.size();
        double[] d = new double[n];
        if (n == 0) return d;
        int m = points.getFirst().length;
        for (int k = 0; k < m; k++) {
            final int obj = k;
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Double.compare(points.get(a)[obj], points.get(b)[obj]));
            double lo = points.get(order[0])[k], hi = points.get(order[n - 1])[k];
            d[order[0]] = d[order[n - 1]] = Double.POSITIVE_INFINITY;
            if (hi == lo) continue;
            for (int i = 1; i < n - 1; i++) d[order[i]] += (points.get(order[i + 1])[k] - points.get(order[i - 1])[k]) / (hi - lo);
        }
        return d;
    }
}
