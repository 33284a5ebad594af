package dev.refusal4j.select;

import dev.refusal4j.chat.PostInstruction;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Candidate scores arranged as the paper's figures show them: one row per post-instruction
 * position (-n..-1, top to bottom), one column per layer. Every cell must be present once.
 */
public final class CandidateGrid {
    private final int nPositions, nLayers;
    private final CandidateScore[] cells;   // [nPositions * nLayers], row = nPositions + position

    public CandidateGrid(List<CandidateScore> scores, int nPositions, int nLayers) {
        this.nPositions = nPositions;
        this.nLayers = nLayers;
        this.cells = new CandidateScore[nPositions * nLayers];
        for (CandidateScore c : scores) {
            if (c.layer() >= nLayers || -c.position() > nPositions) {
                throw new IllegalArgumentException("candidate (position " + c.position() + ", layer " + c.layer()
                        + ") is outside a grid of " + nPositions + " positions x " + nLayers + " layers");
            }
            int i = PostInstruction.row(c.position(), nPositions) * nLayers + c.layer();
            if (cells[i] != null) throw new IllegalArgumentException("candidate (position " + c.position() + ", layer " + c.layer() + ") appears twice");
            cells[i] = c;
        }
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] == null) {
                throw new IllegalArgumentException("no score for candidate (position " + (i / nLayers - nPositions) + ", layer " + (i % nLayers) + ")");
            }
        }
    }

    /** Sizes read off the scores themselves: positions -n..-1 and layers 0..L-1 that occur. */
    public static CandidateGrid of(List<CandidateScore> scores) {
        int n = 0, l = 0;
        for (CandidateScore c : scores) {
            n = Math.max(n, -c.position());
            l = Math.max(l, c.layer() + 1);
        }
        return new CandidateGrid(scores, n, l);
    }

    public int positions() {
        return nPositions;
    }

    public int layers() {
        return nLayers;
    }

    public CandidateScore get(int position, int layer) {
        return cells[PostInstruction.row(position, nPositions) * nLayers + layer];
    }

    /** One metric as [position row][layer], for heatmaps. */
    public double[][] values(ToDoubleFunction<CandidateScore> metric) {
        double[][] v = new double[nPositions][nLayers];
        for (int i = 0; i < cells.length; i++) v[i / nLayers][i % nLayers] = metric.applyAsDouble(cells[i]);
        return v;
    }

    /** All candidates in the official loop order (position -n first, then layer). */
    public List<CandidateScore> inLoopOrder() {
        return List.of(cells);
    }
}
