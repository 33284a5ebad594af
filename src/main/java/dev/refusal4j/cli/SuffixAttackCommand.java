package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.Progress;
import dev.refusal4j.attack.AttackPrompt;
import dev.refusal4j.attack.Gcg;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.io.AtomicFiles;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.OutputPaths;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code refusal4j suffix-attack}: a GCG suffix ({@link Gcg}) for one prompt or, with --universal, for all of them. */
@Command(name = "suffix-attack", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = "Find an adversarial suffix with GCG (Zou et al. 2023) that makes the model start its answer with the target; writes OUT/suffix.json.")
public final class SuffixAttackCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (default: the bundled organism).")
    Path model;

    @Option(names = "--prompts", paramLabel = "FILE", required = true, description = "Prompt file (JSON, JSONL, CSV, text: one per line); without --universal only the first is attacked.")
    Path prompts;

    @Option(names = "--target", paramLabel = "TEXT", required = true, description = "The completion to make likely, e.g. \"Sure, here is\".")
    String target;

    @Option(names = "--steps", defaultValue = "100", description = "GCG steps at most (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--suffix-len", defaultValue = "20", description = "Suffix tokens (default ${DEFAULT-VALUE}).")
    int suffixLength;

    @Option(names = "--top-k", defaultValue = "256", description = "Candidate tokens per position (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--batch", defaultValue = "128", description = "Candidate suffixes per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "0", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--universal", description = "One suffix for all prompts (summed loss).")
    boolean universal;

    @Option(names = "--success", defaultValue = "target", paramLabel = "target|no-refusal",
            description = "When a prompt counts as jailbroken: its greedy answer starts with the target, or has no refusal phrase (default ${DEFAULT-VALUE}).")
    String success;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output folder for suffix.json.")
    Path out;

    @Option(names = "--resume", description = "Go on from OUT/suffix.json (written after every step) when it is there; the result is the uninterrupted run's.")
    boolean resume;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (suffixLength < 1) throw new IllegalArgumentException("--suffix-len must be at least 1, got " + suffixLength);
        if (target == null || target.isBlank()) throw new IllegalArgumentException("--target is empty");
        Gcg.Success rule = switch (success.toLowerCase(Locale.ROOT)) {
            case "target" -> Gcg.Success.TARGET;
            case "no-refusal" -> Gcg.Success.NO_REFUSAL;
            default -> throw new IllegalArgumentException("--success is target or no-refusal, not '" + success + "'");
        };
        OutputPaths.refuseInputs("--out", out, OutputPaths.input("model folder", model), OutputPaths.input("prompt file", prompts));
        List<Prompt> loaded = PromptLoader.load(prompts);
        if (loaded.isEmpty()) throw new IllegalArgumentException(prompts + " holds no prompts");
        if (!universal) loaded = loaded.subList(0, 1);
        try (Transformer m = Transformer.load(model)) {
            PromptEncoder enc = PromptEncoder.load(model, null, null);
            List<AttackPrompt> attack = new ArrayList<>();
            for (Prompt p : loaded) attack.add(AttackPrompt.of(enc, p.instruction(), target));
            Gcg gcg = new Gcg(m, enc.tokenizer, attack, new Gcg.Options(suffixLength, topK, batch, seed, rule),
                    GenerationConfig.stopIds(model, m.config, enc.tokenizer));
            List<Double> losses = new ArrayList<>();
            boolean[][] ok = new boolean[1][];
            Path file = out.resolve("suffix.json");
            if (resume && Files.isRegularFile(file)) {
                JsonNode saved = Json.read(file);
                checkSame(saved, attack);
                int[] ids = new int[saved.path("suffix_ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = saved.get("suffix_ids").get(i).asInt();
                for (JsonNode l : saved.path("loss")) losses.add(l.asDouble());
                if (losses.isEmpty()) throw new IllegalArgumentException("--resume: " + file + " has no loss history");
                gcg.resume(ids, saved.path("steps").asInt(), losses.get(losses.size() - 1));
                ok[0] = new boolean[attack.size()];
                for (int i = 0; i < ok[0].length; i++) ok[0][i] = saved.get("prompts").get(i).path("success").asBoolean();
            } else {
                losses.add(gcg.loss());
                ok[0] = gcg.successes();
            }
            boolean finished = count(ok[0]) == ok[0].length;
            try (Progress bar = new Progress("suffix-attack", steps, "step", quiet, Math.min(steps, gcg.stepsDone()))) {
                if (!finished) gcg.run(steps, st -> {
                    losses.add(st.loss());
                    ok[0] = st.success();
                    try {
                        write(file, gcg, losses, attack, ok[0], rule);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    bar.step(1);
                    bar.extra(String.format(Locale.ROOT, "loss %.4f, success %d/%d, suffix %s", st.loss(), st.successes(), st.success().length, oneLine(gcg.suffixText())));
                });
            }
            write(file, gcg, losses, attack, ok[0], rule);
            if (!quiet) System.err.printf(Locale.ROOT, "loss %.4f → %.4f in %d steps; success %d/%d; suffix.json in %s%n",
                    losses.get(0), losses.get(losses.size() - 1), gcg.stepsDone(), count(ok[0]), ok[0].length, out);
        }
        return 0;
    }

    /** suffix.json, rewritten after every step so that --resume can go on from it. */
    private void write(Path file, Gcg gcg, List<Double> losses, List<AttackPrompt> attack, boolean[] ok, Gcg.Success rule) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>(); // not Map.of, whose order varies between JVM runs: same seed, same bytes
        json.put("suffix", gcg.suffixText());
        json.put("suffix_ids", gcg.suffix());
        json.put("target", target);
        json.put("universal", universal);
        json.put("seed", seed);
        json.put("steps", gcg.stepsDone());
        json.put("top_k", topK);
        json.put("batch", batch);
        json.put("success_rule", rule.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        json.put("loss", losses);
        List<Map<String, Object>> per = new ArrayList<>();
        for (int i = 0; i < attack.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("instruction", attack.get(i).instruction());
            row.put("success", ok[i]);
            per.add(row);
        }
        json.put("prompts", per);
        Files.createDirectories(file.getParent());
        AtomicFiles.write(file, Json.MAPPER.writeValueAsBytes(json));
    }

    /** A run resumed must be the one saved: same target, prompts and options. */
    private void checkSame(JsonNode saved, List<AttackPrompt> attack) {
        List<String> diff = new ArrayList<>();
        if (!saved.path("target").asText().equals(target)) diff.add("--target");
        if (saved.path("universal").asBoolean() != universal) diff.add("--universal");
        if (saved.path("seed").asLong() != seed) diff.add("--seed");
        if (saved.path("top_k").asInt() != topK) diff.add("--top-k");
        if (saved.path("batch").asInt() != batch) diff.add("--batch");
        if (saved.path("suffix_ids").size() != suffixLength) diff.add("--suffix-len");
        if (!saved.path("success_rule").asText().equals(success.toLowerCase(Locale.ROOT))) diff.add("--success");
        JsonNode rows = saved.path("prompts");
        boolean same = rows.size() == attack.size();
        for (int i = 0; same && i < attack.size(); i++) same = rows.get(i).path("instruction").asText().equals(attack.get(i).instruction());
        if (!same) diff.add("--prompts");
        if (!diff.isEmpty()) throw new IllegalArgumentException("--resume: " + out.resolve("suffix.json") + " is from a run with other " + String.join(", ", diff) + "; give the same options or another --out");
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
