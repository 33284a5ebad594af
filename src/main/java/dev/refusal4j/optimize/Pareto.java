package dev.refusal4j.optimize;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Non-dominated sorting and two-objective hypervolume for minimised objective vectors. */
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

    /**
     * The area that {@code points} (two objectives each) dominate below {@code ref}: the union of
     * the rectangles from each point to the reference point. Points not below {@code ref} in both
     * objectives add nothing.
     */
    public static double hypervolume(List<double[]> points, double[] ref) {
        List<double[]> in = new ArrayList<>();
        for (double[] p : points) {
            if (p.length != 2 || ref.length != 2) throw new IllegalArgumentException("hypervolume is for two objectives, got " + p.length);
            if (p[0] < ref[0] && p[1] < ref[1]) in.add(p);
        }
        in.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        double area = 0, ceiling = ref[1];   // sweep by the first objective: each point adds the strip below the lowest second objective so far
        for (double[] p : in) {
            if (p[1] >= ceiling) continue;
            area += (ref[0] - p[0]) * (ceiling - p[1]);
            ceiling = p[1];
        }
        return area;
    }

    /** How much of {@link #hypervolume} each point alone holds: the volume lost without it (0 for a dominated or duplicated point). */
    public static double[] contributions(List<double[]> points, double[] ref) {
        double all = hypervolume(points, ref);
        double[] c = new double[points.size()];
        for (int i = 0; i < c.length; i++) {
            List<double[]> rest = new ArrayList<>(points);
            rest.remove(i);
            c[i] = Math.max(0, all - hypervolume(rest, ref));
        }
        return c;
    }

    /**
     * The reference point for the hypervolume of {@code points}: a tenth beyond the worst value of
     * each objective (below it when the worst is negative; a tiny positive value when it is 0), so
     * that the extreme points of a front hold a small but not a zero or an infinite share.
     */
    public static double[] reference(List<double[]> points) {
        int m = points.getFirst().length;
        double[] ref = new double[m];
        for (int k = 0; k < m; k++) {
            double worst = Double.NEGATIVE_INFINITY;
            for (double[] p : points) worst = Math.max(worst, p[k]);
            ref[k] = worst == 0 ? 1e-12 : Math.max(1.1 * worst, 0.9 * worst);
        }
        return ref;
    }
}
