package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.Progress;
import dev.refusal4j.evaluate.ChoiceAccuracy;
import dev.refusal4j.evaluate.ChoiceTask;
import dev.refusal4j.io.Json;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** {@code refusal4j evaluate-choices}: multiple-choice accuracy by log-likelihood, optionally steered. */
@Command(name = "evaluate-choices", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {"Multiple-choice accuracy by log-likelihood, scored as lm-evaluation-harness scores a multiple_choice task "
                + "(acc, acc_norm and their standard errors), with the refusal direction ablated or added if asked.",
                "Task file: JSONL, one {\"question\": TEXT, \"choices\": [TEXT, ...], \"gold\": INDEX} a line (\"answer\" is accepted for \"gold\").",
                "Each choice is scored as the continuation \" \" + choice after the question, zero-shot and without a chat template "
                        + "(lm-eval's defaults for log-likelihood tasks); acc_norm divides each log-likelihood by the choice's length in characters.",
                "Sampling options (--temperature and the like) do not apply here."})
final class EvaluateChoicesCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;
    @Option(names = "--tasks", required = true, arity = "1..*", paramLabel = "FILE", description = "Task files (JSONL); each is one task, named after the file.")
    List<Path> tasks;
    @Option(names = "--limit", paramLabel = "N", description = "Score only the first N questions of each task.")
    Integer limit;
    @Option(names = "--json", description = "Print the scores as JSON instead of a table.")
    boolean json;
    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;
    @Mixin
    SteeringOptions steering;
    @Spec
    CommandSpec spec;

    /** The options of the steering mixin that mean something for log-likelihoods. */
    private static final Set<String> STEERING = Set.of("--direction", "--ablate", "--add");

    @Override
    public Integer call() throws Exception {
        for (OptionSpec o : spec.mixins().get("steering").options()) {
            if (!STEERING.contains(o.longestName()) && spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new IllegalArgumentException(o.longestName() + " does not apply: evaluate-choices scores log-likelihoods and samples nothing");
            }
        }
        if (limit != null && limit < 1) throw new IllegalArgumentException("--limit " + limit + ": at least 1 question");
        List<ChoiceTask> read = new ArrayList<>();
        for (Path f : tasks) {
            ChoiceTask t = ChoiceTask.read(f);
            read.add(limit == null ? t : t.limit(limit));
        }
        List<ChoiceAccuracy.Scores> scores = new ArrayList<>();
        String condition;
        try (Transformer m = Transformer.load(model)) {
            steering.check(m.config);
            Supplier<Hooks> hooks = steering.hooks();
            condition = steering.ablate ? "ablation" : steering.add != null ? "actadd " + steering.add : "baseline";
            Tokenizer tok = Tokenizer.load(model);
            for (ChoiceTask t : read) {
                try (Progress p = new Progress(t.name(), t.questions().size(), "questions", quiet)) {
                    scores.add(ChoiceAccuracy.evaluate(t, m, tok, hooks, p::stepTo));
                }
            }
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (json) out.println(Json.MAPPER.writeValueAsString(toJson(condition, scores)));
        else print(out, condition, scores);
        return 0;
    }

    private ObjectNode toJson(String condition, List<ChoiceAccuracy.Scores> scores) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("model", model.toString());
        root.put("condition", condition);
        ArrayNode arr = root.putArray("tasks");
        for (ChoiceAccuracy.Scores s : scores) {
            ObjectNode o = arr.addObject();
            o.put("task", s.task());
            o.put("n", s.n());
            o.put("correct", s.correct());
            o.put("correct_norm", s.correctNorm());
            o.put("acc", s.acc());
            putStderr(o, "acc_stderr", s.accStderr());
            o.put("acc_norm", s.accNorm());
            putStderr(o, "acc_norm_stderr", s.accNormStderr());
            o.put("truncated", s.truncated());
        }
        return root;
    }

    /** lm-eval writes "N/A" where one question gives no standard error. */
    private static void putStderr(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) o.put(key, "N/A");
        else o.put(key, v);
    }

    private static void print(PrintStream out, String condition, List<ChoiceAccuracy.Scores> scores) {
        int w = "task".length();
        for (ChoiceAccuracy.Scores s : scores) w = Math.max(w, s.task().length());
        out.printf(Locale.ROOT, "%-" + w + "s %6s %8s %8s %8s %8s%n", "task", "n", "acc", "±", "acc_norm", "±");
        for (ChoiceAccuracy.Scores s : scores) {
            out.printf(Locale.ROOT, "%-" + w + "s %6d %8.4f %8s %8.4f %8s%n", s.task(), s.n(), s.acc(), stderr(s.accStderr()),
                    s.accNorm(), stderr(s.accNormStderr()));
        }
        out.println("condition: " + condition);
        for (ChoiceAccuracy.Scores s : scores) {
            if (s.truncated() > 0) out.printf("%s: %d question%s cut from the left to fit the context%n", s.task(), s.truncated(), s.truncated() == 1 ? "" : "s");
        }
    }

    private static String stderr(double v) {
        return Double.isNaN(v) ? "N/A" : String.format(Locale.ROOT, "%.4f", v);
    }
}
