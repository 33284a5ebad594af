package dev.refusal4j.artifacts;

import java.nio.file.Path;

/**
 * The files of one run folder. Each stage writes its files whole (written aside, then renamed), so a
 * file that exists is complete; {@code --resume} skips a stage whose files exist.
 *
 * <pre>
 * run.json                    the options that decide the results (RunSettings)
 * prompts/NAME.json           the six prompt sets (RunPrompts)
 * mean_diffs.safetensors      candidate directions [position, layer, d]   (stage: directions)
 * candidates.json             scores, filter verdicts, selection          (stage: select)
 * direction.safetensors       the selected r, with layer and position     (stage: select)
 * direction.json              the same, readable
 * completions/SET.jsonl       one per CompletionSet                        (stage: completions)
 * metrics.json                refusal rates, loss, counts, timings         (stage: evaluate)
 * report.html, plots/         the report
 * suffix/suffix.json          run --suffix-attack: the GCG search (attack.SuffixFile)
 * suffix/heldout.json         its refusal rates on the test prompts (SuffixHeldOut)
 * suffix/completions/*.jsonl  the test prompts' completions with the adversarial and the random suffix
 * suffix/analysis.json        run --suffix-attack or analyze-suffix --out RUN/suffix (SuffixAnalysisFile)
 * optimize/front.json         optimize --out RUN/optimize: the search's front (FrontFile), beside its journal and front.html
 * </pre>
 */
public record RunFolder(Path dir) {
    /** Where analyze-suffix's results sit in a run folder, as the report names the file. */
    public static final String SUFFIX_ANALYSIS = "suffix/analysis.json";
    public static final String SUFFIX_HELD_OUT = "suffix/heldout.json";
    /** Where {@code optimize --out} writes when the report should show its search. */
    public static final String OPTIMIZE = "optimize";
    public static final String OPTIMIZE_FRONT = OPTIMIZE + "/front.json";

    public Path settings() { return dir.resolve("run.json"); }
    /** Held while a command works on the folder, so that two runs never mix their files. */
    public Path lock() { return dir.resolve(".lock"); }
    public Path prompts() { return dir.resolve("prompts"); }
    public Path meanDiffs() { return dir.resolve("mean_diffs.safetensors"); }
    public Path candidates() { return dir.resolve("candidates.json"); }
    public Path direction() { return dir.resolve("direction.safetensors"); }
    public Path directionJson() { return dir.resolve("direction.json"); }
    public Path completions(CompletionSet set) { return dir.resolve("completions").resolve(set.key() + ".jsonl"); }
    public Path metrics() { return dir.resolve("metrics.json"); }
    public Path report() { return dir.resolve("report.html"); }
    public Path plots() { return dir.resolve("plots"); }
    public Path suffixAnalysis() { return dir.resolve(SUFFIX_ANALYSIS); }
    public Path suffixSearch() { return dir.resolve("suffix/suffix.json"); }
    public Path suffixHeldOut() { return dir.resolve(SUFFIX_HELD_OUT); }
    public Path suffixCompletions(String name) { return dir.resolve("suffix/completions").resolve(name + ".jsonl"); }
    public Path optimizeFront() { return dir.resolve(OPTIMIZE_FRONT); }

    /** Every file and folder a run writes (not the lock), for starting over with --force. */
    public java.util.List<Path> outputs() {
        return java.util.List.of(settings(), prompts(), meanDiffs(), candidates(), direction(), directionJson(), dir.resolve("completions"),
                metrics(), report(), plots(), dir.resolve("suffix"));
    }
}
