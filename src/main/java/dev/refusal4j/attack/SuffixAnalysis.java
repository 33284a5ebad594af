package dev.refusal4j.attack;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.ActivationCache;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.LayerWeights;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How an adversarial suffix gets past refusal, measured as Arditi et al. (2024, Section 5) do: on
 * harmful instructions, with the suffix, with a random suffix of as many tokens, and on harmless
 * instructions ({@link Group}), at the last prompt position (the last token of the chat-templated
 * prompt, where the model decides its first answer token):
 * <ol>
 *   <li><b>cosine with r</b> of the residual stream before every block (resid_pre) and after the
 *       last (resid_post): a suffix that works lowers the refusal direction's presence;</li>
 *   <li><b>direct attribution of heads</b>: head h's share of the attention output,
 *       W_O[:, h]·z_h (no bias), projected on r̂; the heads that write most along r̂ on harmful
 *       prompts are the top heads, and a suffix that works makes them write less;</li>
 *   <li><b>attention shares</b> of the top heads from the last position: the pattern summed over
 *       the instruction's tokens, the suffix's tokens and the rest (the template); the paper finds
 *       the adversarial suffix draws the top heads' attention away from the instruction.</li>
 * </ol>
 * The suffix is placed as {@link AttackPrompt#withSuffix} places it and the whole user message is
 * rendered and tokenized as {@code generate --suffix} does: the analysis sees the prompt a user of
 * the suffix gives the model. Where the instruction's and the suffix's tokens are is found by
 * {@link #layout}. Pure: reads the model, writes nothing, and the same inputs and seed give the same
 * numbers.
 */
public final class SuffixAnalysis {
    /** The four sets of prompts compared; {@link #key} is the name used in files. */
    public enum Group {
        HARMFUL("harmful"), ADVERSARIAL("harmful_adversarial"), RANDOM("harmful_random"), HARMLESS("harmless");

        public final String key;

        Group(String key) {
            this.key = key;
        }
    }

    /** The groups whose attention shares are reported: harmful prompts without, with the suffix, with the random one. */
    public static final List<Group> ATTENTION_GROUPS = List.of(Group.HARMFUL, Group.ADVERSARIAL, Group.RANDOM);

    /** @param topHeads how many heads to report (the paper: 8); @param seed draws the random suffix */
    public record Options(int topHeads, long seed) {
        public Options {
            if (topHeads < 1) throw new IllegalArgumentException("--top-heads must be at least 1, got " + topHeads);
        }
    }

    /**
     * One prompt as the model reads it: its ids and the token ranges [from, to) of the instruction
     * and the suffix (an empty range when there is no suffix). Everything else is template.
     */
    public record Layout(int[] ids, int instructionFrom, int instructionTo, int suffixFrom, int suffixTo) {
        public int last() {
            return ids.length - 1;
        }
    }

    /**
     * What one prompt's forward pass shows at its last position.
     *
     * @param cosine         per point ({@link #points}): cos(x, r)
     * @param headProjection [layer][head]: r̂ · (head's output through its slice of W_O)
     * @param shares         [layer][head][3]: attention on the instruction, the suffix, the rest
     */
    public record Measurement(double[] cosine, double[][] headProjection, double[][][] shares) {}

    /** A top head and its mean projection on r̂ per group (indexed by {@link Group#ordinal}). */
    public record Head(int layer, int head, double[] projection) {
        public double of(Group g) {
            return projection[g.ordinal()];
        }
    }

    /** Mean attention shares from the last position; they sum to 1. */
    public record Shares(double instruction, double suffix, double other) {}

    /** A top head's shares per group of {@link #ATTENTION_GROUPS}. */
    public record HeadAttention(int layer, int head, Map<Group, Shares> shares) {}

    /**
     * Whether the paper's picture holds, each measured against the random suffix of as many tokens
     * (the control that tells the suffix's content from its mere presence).
     *
     * @param cosineLower      after the direction's layer, the mean cosine with r is lower with the adversarial suffix
     * @param headsReduced     the top heads' summed projection on r̂ is lower with the adversarial suffix
     * @param attentionShifted the top heads' mean attention on the suffix is higher, on the instruction lower
     */
    public record Checks(boolean cosineLower, boolean headsReduced, boolean attentionShifted) {}

    /**
     * Every number of one analysis.
     *
     * @param cosineMean     per group, per point: the mean cosine over the group's prompts
     * @param cosineStd      the same, the sample standard deviation (0 for a single prompt)
     * @param headProjection per group, [layer][head]: the mean projection on r̂
     */
    public record Result(String suffix, int suffixTokens, String randomSuffix, long seed, int directionLayer, int directionPosition,
                         int harmfulPrompts, int harmlessPrompts, List<String> points,
                         Map<Group, double[]> cosineMean, Map<Group, double[]> cosineStd, Map<Group, double[][]> headProjection,
                         List<Head> heads, List<HeadAttention> attention, Checks checks, String verdict) {}

    /** Tries per position to find a random token that keeps the suffix's text re-encoding to its own ids. */
    private static final int RANDOM_TRIES = 64;

    private final Transformer model;
    private final PromptEncoder encoder;
    private final RefusalDirection direction;
    private final double[] rHat;
    /** Per layer: W_Oᵀ (g ⊙ r̂), so that head h's projection is z_h · readout[h slice] (g: the post-attention norm's weight, else 1). */
    private final double[][] readout;

    public SuffixAnalysis(Transformer model, PromptEncoder encoder, RefusalDirection direction) {
        ModelConfig c = model.config;
        if (direction.vector().length != c.hidden) {
            throw new IllegalArgumentException("the direction has " + direction.vector().length + " values but the model's hidden size is " + c.hidden);
        }
        if (direction.layer() < 0 || direction.layer() >= c.layers) {
            throw new IllegalArgumentException("the direction's layer " + direction.layer() + " is outside the model's " + c.layers + " layers");
        }
        this.model = model;
        this.encoder = encoder;
        this.direction = direction;
        double n = direction.norm();
        if (!(n > 0 && Double.isFinite(n))) throw new IllegalArgumentException("the direction has no direction (norm " + n + ")");
        this.rHat = new double[c.hidden];
        for (int i = 0; i < c.hidden; i++) rHat[i] = direction.vector()[i] / n;
        this.readout = new double[c.layers][];
        float[] row = new float[c.qDim()];
        for (int l = 0; l < c.layers; l++) {
            LayerWeights lw = model.weights.layers[l];
            double[] u = new double[c.qDim()];
            for (int i = 0; i < c.hidden; i++) {
                double g = lw.postAttnNorm == null ? 1 : c.normPlusOne ? 1 + lw.postAttnNorm[i] : lw.postAttnNorm[i];
                double coef = g * rHat[i];
                if (coef == 0) continue;
                lw.wo.row(i, row, 0);
                for (int k = 0; k < row.length; k++) u[k] += coef * row[k];
            }
            readout[l] = u;
        }
    }

    /**
     * The points the cosine is taken at: {@code blocks.L.hook_resid_pre} for every block, then the
     * last block's {@code hook_resid_post} (the stream the final norm reads). Point p &lt; layers is
     * the input of block p, so the direction's own point is its layer.
     */
    public static List<String> points(int layers) {
        List<String> p = new ArrayList<>();
        for (int l = 0; l < layers; l++) p.add(Hooks.blockName(l, Hooks.RESID_PRE));
        p.add(Hooks.blockName(layers - 1, Hooks.RESID_POST));
        return List.copyOf(p);
    }

    /**
     * The prompt of {@code instruction} with {@code suffix} (null: none) and where its parts are.
     * <p>The rule: the user message is rendered once with marker characters around the instruction
     * and the suffix, which gives their character ranges in the rendered text (the text without
     * markers must be exactly the plain rendering, else the template rewrote the message and the
     * parts cannot be placed). The whole text is tokenized as a prompt is. A token belongs to the part
     * that holds its last character: the first token of a part is the first whose last character
     * lies in it, so " describing" (space from the template, word from the suffix) is a suffix token.
     * The number of tokens ending at or before character c is the number of leading ids the whole
     * text shares with the text cut at c (tokenization before the cut is what it is in the whole).
     */
    public Layout layout(String instruction, String suffix) {
        String[] mark = {"\u0001i\u0001", "\u0001/i\u0001", "\u0001s\u0001", "\u0001/s\u0001"};
        String marked = mark[0] + instruction + mark[1];
        if (suffix != null) marked = AttackPrompt.withSuffix(marked, mark[2] + suffix + mark[3]);
        String rendered = encoder.render(marked);
        int parts = suffix == null ? 2 : 4;
        int[] at = new int[parts];
        StringBuilder plain = new StringBuilder(rendered);
        for (int m = 0, from = 0; m < parts; m++) {
            int i = plain.indexOf(mark[m], from);
            if (i < 0 || rendered.indexOf(mark[m]) != rendered.lastIndexOf(mark[m])) {
                throw new IllegalArgumentException("the chat template does not render the instruction" + (suffix == null ? "" : " and suffix") + " exactly once; cannot locate their tokens");
            }
            plain.delete(i, i + mark[m].length());
            at[m] = from = i;
        }
        String text = plain.toString();
        String expected = encoder.render(suffix == null ? instruction : AttackPrompt.withSuffix(instruction, suffix));
        if (!text.equals(expected)) {
            throw new IllegalArgumentException("the chat template changes the user message's text (trims or rewrites it); cannot locate the instruction's and suffix's tokens"
                    + (suffix != null && !suffix.equals(suffix.strip()) ? " (give the suffix without spaces at its ends)" : ""));
        }
        int[] ids = encoder.tokenize(text);
        int[] ends = new int[parts];
        for (int m = 0; m < parts; m++) ends[m] = sharedPrefix(ids, encoder.tokenize(text.substring(0, at[m])));
        Layout p = new Layout(ids, ends[0], ends[1], suffix == null ? ends[1] : ends[2], suffix == null ? ends[1] : ends[3]);
        if (p.instructionTo() <= p.instructionFrom() && !instruction.isEmpty()) {
            throw new IllegalStateException("no token of the instruction '" + clip(instruction) + "' could be located in its prompt");
        }
        if (suffix != null && p.suffixTo() <= p.suffixFrom()) {
            throw new IllegalArgumentException("the suffix '" + clip(suffix) + "' gives no token of its own in the prompt of '" + clip(instruction) + "'");
        }
        return p;
    }

    private static int sharedPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    /** One forward pass of the prompt, and what its last position shows. */
    public Measurement measure(Layout p) {
        ModelConfig c = model.config;
        int L = c.layers, H = c.heads, hd = c.headDim, q = c.qDim(), d = c.hidden, t = p.last(), T = p.ids().length;
        ActivationCache cache = model.runWithCache(Forward.of(p.ids()).logits(Transformer.Logits.NONE),
                "blocks.*." + Hooks.RESID_PRE, Hooks.blockName(L - 1, Hooks.RESID_POST), "blocks.*." + Hooks.Z, "blocks.*." + Hooks.PATTERN);
        List<String> points = points(L);
        double[] cos = new double[points.size()];
        for (int k = 0; k < cos.length; k++) cos[k] = cosine(cache.get(points.get(k)), t * d, direction.vector());
        double[][] proj = new double[L][H];
        double[][][] shares = new double[L][H][3];
        for (int l = 0; l < L; l++) {
            float[] z = cache.get(l, Hooks.Z);
            double scale = postNormScale(l, z, t * q);
            for (int h = 0; h < H; h++) {
                double s = 0;
                for (int i = 0; i < hd; i++) s += (double) z[t * q + h * hd + i] * readout[l][h * hd + i];
                proj[l][h] = s * scale;
            }
            float[] pattern = cache.get(l, Hooks.PATTERN); // [1, heads, T, T]
            for (int h = 0; h < H; h++) {
                int row = (h * T + t) * T;
                double instr = 0, suf = 0, other = 0;
                for (int j = 0; j <= t; j++) {
                    double a = pattern[row + j];
                    if (j >= p.instructionFrom() && j < p.instructionTo()) instr += a;
                    else if (j >= p.suffixFrom() && j < p.suffixTo()) suf += a;
                    else other += a;
                }
                shares[l][h] = new double[] {instr, suf, other};
            }
        }
        return new Measurement(cos, proj, shares);
    }

    /**
     * For a model with a norm after attention (Gemma-2), what multiplies g ⊙ (W_O z + b) at this
     * row: 1 / rms(W_O z + b). Fixed at the row's value, the norm is linear in the heads' outputs, so
     * each head keeps its exact share of hook_attn_out. Other models: 1.
     */
    private double postNormScale(int l, float[] z, int off) {
        LayerWeights lw = model.weights.layers[l];
        if (lw.postAttnNorm == null) return 1;
        ModelConfig c = model.config;
        float[] row = new float[c.qDim()];
        double ss = 0;
        for (int i = 0; i < c.hidden; i++) {
            lw.wo.row(i, row, 0);
            double o = lw.bo == null ? 0 : lw.bo[i];
            for (int k = 0; k < row.length; k++) o += (double) row[k] * z[off + k];
            ss += o * o;
        }
        return 1 / Math.sqrt(ss / c.hidden + c.eps);
    }

    private static double cosine(float[] x, int off, float[] r) {
        double dot = 0, xx = 0, rr = 0;
        for (int i = 0; i < r.length; i++) {
            dot += (double) x[off + i] * r[i];
            xx += (double) x[off + i] * x[off + i];
            rr += (double) r[i] * r[i];
        }
        return dot / Math.sqrt(xx * rr);
    }

    /**
     * A random suffix of {@code n} tokens, seeded: tokens a suffix may hold ({@link Gcg#allowedTokens})
     * whose text alone re-encodes to the token, drawn one position at a time; a draw is kept when the
     * suffix so far still re-encodes to its own ids (neighbours that would merge are drawn again, up
     * to {@value #RANDOM_TRIES} times, after which the last draw stays). So the random suffix, given as
     * text as the adversarial one is, has as many tokens.
     */
    public static String randomSuffix(Tokenizer tokenizer, int vocab, int n, long seed) {
        boolean[] allowed = Gcg.allowedTokens(tokenizer, vocab);
        int[] pool = java.util.stream.IntStream.range(0, allowed.length)
                .filter(v -> allowed[v] && Arrays.equals(tokenizer.encode(tokenizer.decode(new int[] {v}, false), false), new int[] {v}))
                .toArray();
        if (pool.length == 0) throw new IllegalArgumentException("the tokenizer has no token that decodes to printable ASCII and re-encodes to itself; no random suffix can be drawn");
        SplittableRandom random = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            int[] prefix = Arrays.copyOf(ids, i + 1);
            for (int k = 0; k < RANDOM_TRIES; k++) {
                prefix[i] = pool[random.nextInt(pool.length)];
                if (Arrays.equals(tokenizer.encode(tokenizer.decode(prefix, false), false), prefix)) break;
            }
            ids[i] = prefix[i];
        }
        return tokenizer.decode(ids, false);
    }

    /**
     * The analysis over {@code harmful} and {@code harmless} instructions; {@code progress} counts the
     * prompts measured, out of 3 × harmful + harmless.
     */
    public Result run(List<String> harmful, List<String> harmless, String suffix, Options options, ProgressListener progress) {
        if (harmful.isEmpty()) throw new IllegalArgumentException("no harmful prompts to analyse");
        if (harmless.isEmpty()) throw new IllegalArgumentException("no harmless prompts to compare with");
        if (suffix == null || suffix.isBlank()) throw new IllegalArgumentException("--suffix is empty");
        Tokenizer tok = encoder.tokenizer;
        int n = tok.encode(suffix, false).length;
        if (n == 0) throw new IllegalArgumentException("--suffix '" + clip(suffix) + "' tokenizes to nothing");

        // every prompt laid out and checked against the context before any forward pass
        Map<Group, List<Layout>> layouts = new EnumMap<>(Group.class);
        layouts.put(Group.HARMFUL, layouts(harmful, null));
        layouts.put(Group.ADVERSARIAL, layouts(harmful, suffix));
        String random = randomSuffix(tok, model.config.vocab, n, options.seed());
        layouts.put(Group.RANDOM, layouts(harmful, random));
        layouts.put(Group.HARMLESS, layouts(harmless, null));

        ModelConfig c = model.config;
        int L = c.layers, H = c.heads, P = L + 1;
        Map<Group, double[]> cosMean = new EnumMap<>(Group.class), cosStd = new EnumMap<>(Group.class);
        Map<Group, double[][]> projMean = new EnumMap<>(Group.class);
        Map<Group, double[][][]> shareMean = new EnumMap<>(Group.class);
        int done = 0;
        for (Group g : Group.values()) {
            List<Layout> ps = layouts.get(g);
            double[][] cos = new double[ps.size()][];
            double[][] proj = new double[L][H];
            double[][][] share = new double[L][H][3];
            for (int i = 0; i < ps.size(); i++) {
                Measurement m = measure(ps.get(i));
                cos[i] = m.cosine();
                for (int l = 0; l < L; l++) {
                    for (int h = 0; h < H; h++) {
                        proj[l][h] += m.headProjection()[l][h];
                        for (int k = 0; k < 3; k++) share[l][h][k] += m.shares()[l][h][k];
                    }
                }
                progress.done(++done);
            }
            double[] mean = new double[P], std = new double[P];
            for (int p = 0; p < P; p++) {
                double s = 0;
                for (double[] row : cos) s += row[p];
                mean[p] = s / cos.length;
                double v = 0;
                for (double[] row : cos) v += (row[p] - mean[p]) * (row[p] - mean[p]);
                std[p] = cos.length > 1 ? Math.sqrt(v / (cos.length - 1)) : 0;
            }
            for (int l = 0; l < L; l++) {
                for (int h = 0; h < H; h++) {
                    proj[l][h] /= ps.size();
                    for (int k = 0; k < 3; k++) share[l][h][k] /= ps.size();
                }
            }
            cosMean.put(g, mean);
            cosStd.put(g, std);
            projMean.put(g, proj);
            shareMean.put(g, share);
        }

        // top heads: most written along r̂ on plain harmful prompts; ties in layer, then head order
        List<int[]> all = new ArrayList<>();
        for (int l = 0; l < L; l++) for (int h = 0; h < H; h++) all.add(new int[] {l, h});
        double[][] base = projMean.get(Group.HARMFUL);
        all.sort(Comparator.<int[]>comparingDouble(lh -> -base[lh[0]][lh[1]]).thenComparingInt(lh -> lh[0]).thenComparingInt(lh -> lh[1]));
        List<Head> heads = new ArrayList<>();
        List<HeadAttention> attention = new ArrayList<>();
        for (int[] lh : all.subList(0, Math.min(options.topHeads(), all.size()))) {
            double[] v = new double[Group.values().length];
            for (Group g : Group.values()) v[g.ordinal()] = projMean.get(g)[lh[0]][lh[1]];
            heads.add(new Head(lh[0], lh[1], v));
            Map<Group, Shares> s = new EnumMap<>(Group.class);
            for (Group g : ATTENTION_GROUPS) {
                double[] x = shareMean.get(g)[lh[0]][lh[1]];
                s.put(g, new Shares(x[0], x[1], x[2]));
            }
            attention.add(new HeadAttention(lh[0], lh[1], s));
        }

        Verdict v = verdict(direction.layer(), P, cosMean, heads, attention);
        return new Result(suffix, n, random, options.seed(), direction.layer(), direction.position(), harmful.size(), harmless.size(),
                points(L), cosMean, cosStd, projMean, List.copyOf(heads), List.copyOf(attention), v.checks, v.text);
    }

    private List<Layout> layouts(List<String> instructions, String suffix) {
        List<Layout> out = new ArrayList<>();
        int context = model.config.maxPositions;
        for (int i = 0; i < instructions.size(); i++) {
            Layout p = layout(instructions.get(i), suffix);
            if (p.ids().length > context) {
                throw new IllegalArgumentException("prompt " + (i + 1) + " ('" + clip(instructions.get(i)) + "')" + (suffix == null ? "" : " with the suffix '" + clip(suffix) + "'")
                        + " takes " + p.ids().length + " tokens, more than the model's context of " + context + (suffix == null ? "" : "; give a shorter --suffix"));
            }
            out.add(p);
        }
        return out;
    }

    private record Verdict(Checks checks, String text) {}

    /** The three checks against the random suffix, and a paragraph that states each with its numbers. */
    private static Verdict verdict(int layer, int points, Map<Group, double[]> cos, List<Head> heads, List<HeadAttention> attention) {
        double adv = 0, rnd = 0;
        for (int p = layer + 1; p < points; p++) {
            adv += cos.get(Group.ADVERSARIAL)[p];
            rnd += cos.get(Group.RANDOM)[p];
        }
        int after = points - layer - 1;
        adv /= after;
        rnd /= after;
        double hAdv = 0, hRnd = 0, hPlain = 0;
        for (Head h : heads) {
            hAdv += h.of(Group.ADVERSARIAL);
            hRnd += h.of(Group.RANDOM);
            hPlain += h.of(Group.HARMFUL);
        }
        double sAdv = 0, sRnd = 0, iAdv = 0, iRnd = 0, iPlain = 0;
        for (HeadAttention a : attention) {
            sAdv += a.shares().get(Group.ADVERSARIAL).suffix() / attention.size();
            sRnd += a.shares().get(Group.RANDOM).suffix() / attention.size();
            iAdv += a.shares().get(Group.ADVERSARIAL).instruction() / attention.size();
            iRnd += a.shares().get(Group.RANDOM).instruction() / attention.size();
            iPlain += a.shares().get(Group.HARMFUL).instruction() / attention.size();
        }
        Checks c = new Checks(adv < rnd, hAdv < hRnd, sAdv > sRnd && iAdv < iRnd);
        int held = (c.cosineLower() ? 1 : 0) + (c.headsReduced() ? 1 : 0) + (c.attentionShifted() ? 1 : 0);
        String layers = "after its layer " + layer + (after == 1 ? " (point " + (layer + 1) + ", the model's output)" : " (mean over points " + (layer + 1) + "–" + (points - 1) + ")");
        String text = String.format(Locale.ROOT,
                "Cosine with the refusal direction %s: %.3f with the adversarial suffix, %.3f with the random suffix, so lower with the adversarial one: %s. "
                        + "The top %d heads' summed projection on the direction: %.3f with the adversarial suffix, %.3f with the random one (%.3f without a suffix), so reduced: %s. "
                        + "Their mean attention from the last position: on the suffix %.3f (adversarial) vs %.3f (random), on the instruction %.3f vs %.3f (%.3f without a suffix), so shifted to the suffix: %s. "
                        + "The paper's picture %s (%d of 3 checks).",
                layers, adv, rnd, c.cosineLower(), heads.size(), hAdv, hRnd, hPlain, c.headsReduced(),
                sAdv, sRnd, iAdv, iRnd, iPlain, c.attentionShifted(), held == 3 ? "holds" : held == 0 ? "does not hold" : "holds in part", held);
        return new Verdict(c, text);
    }

    private static String clip(String s) {
        String t = s.replace('\n', ' ').replace('\r', ' ');
        return t.length() > 40 ? t.substring(0, 40) + "…" : t;
    }
}
