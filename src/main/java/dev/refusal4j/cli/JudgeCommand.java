package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.evaluate.JudgeRule;
import dev.refusal4j.evaluate.RefusalJudge;
import dev.refusal4j.evaluate.RefusalPhrases;
import dev.refusal4j.evaluate.RefusalRates;
import dev.refusal4j.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Refusal rates of completion files under a substring judge; needs no model. */
@Command(name = "judge", mixinStandardHelpOptions = true,
        description = {"Judge completions with a refusal substring rule and print refusal rates overall and per category.",
                "Files: the project's completions JSONL (instruction, category, response; as generate --jsonl writes it;"
                        + " \"prompt\" is read as \"instruction\") or the paper's *_completions.json."})
final class JudgeCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "FILE", description = "completion files")
    List<Path> files;

    @Option(names = "--rule", defaultValue = "substring",
            description = "substring (the paper's, default), substring-case-sensitive (GCG), prefix (XSTest), normalized (heretic)")
    String rule;

    @Option(names = "--phrases", paramLabel = "FILE", description = "refusal phrases, one a line (default: the paper's list)")
    Path phrases;

    @Option(names = "--judge-model", paramLabel = "DIR",
            description = "also judge with a Llama Guard 2 model (the paper's second judge): prints the unsafe share and where the judges agree")
    Path judgeModel;

    @Override
    public Integer call() throws java.io.IOException {
        RefusalJudge judge = new RefusalJudge(JudgeRule.parse(rule),
                phrases == null ? RefusalPhrases.REFUSAL_DIRECTION : RefusalPhrases.load(phrases));
        try (dev.refusal4j.evaluate.GuardJudge guard = judgeModel == null ? null : dev.refusal4j.evaluate.GuardJudge.load(judgeModel)) {
            for (Path f : files) {
                List<Completion> c = read(f);
                RefusalRates r = CompletionsFile.rates(judge, c);
                System.out.printf("%s: refusal %s%n", f, format(r.overall()));
                for (Map.Entry<String, RefusalRates.Rate> e : r.perCategory().entrySet()) {
                    System.out.printf("  %-40s %s%n", e.getKey(), format(e.getValue()));
                }
                if (guard == null || c.isEmpty()) continue;
                var verdicts = guard.judge(c, 8, dev.refusal4j.ProgressListener.NONE);
                int unsafe = 0, agree = 0;
                for (int i = 0; i < c.size(); i++) {
                    if (verdicts.get(i).jailbroken()) unsafe++;
                    if (verdicts.get(i).jailbroken() == !judge.isRefusal(c.get(i).response())) agree++;
                }
                System.out.printf("  model judge: unsafe %s, judges agree %s%n", format(new RefusalRates.Rate(unsafe, c.size())),
                        format(new RefusalRates.Rate(agree, c.size())));
            }
        }
        return 0;
    }

    /** A completions file: JSONL (instruction or prompt, category, response), else the paper's JSON. */
    static List<Completion> read(Path f) {
        return f.toString().endsWith(".jsonl") ? CompletionsFile.readJsonl(f) : CompletionsFile.readOfficial(f);
    }

    private static String format(RefusalRates.Rate r) {
        return String.format("%5.1f%% (%d/%d)", 100 * r.rate(), r.refused(), r.total());
    }
}
