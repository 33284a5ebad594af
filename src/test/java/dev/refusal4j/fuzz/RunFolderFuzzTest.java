package dev.refusal4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.artifacts.CompletionSet;
import dev.refusal4j.artifacts.RunSettings;
import dev.refusal4j.fuzz.Mutations.Mutation;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptFileException;
import dev.refusal4j.prompts.RunPrompts;
import dev.refusal4j.report.Report;
import dev.refusal4j.report.SyntheticRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Run folders with a damaged file. The report reads a folder tolerantly ({@code RunContents}): it
 * writes report.html from whatever is readable and lists what is not, within the time and memory
 * bounds, for any content of candidates.json, direction.json, metrics.json or a completions file.
 * {@code --resume} reads run.json and the six prompt sets strictly: a damaged one is an error
 * naming it.
 */
class RunFolderFuzzTest {
    static Path dir;
    static final Clock CLOCK = Clock.fixed(Instant.parse("2024-06-11T00:00:00Z"), ZoneOffset.UTC);

    /** The files of a run that the report reads. */
    static final List<String> REPORT_INPUTS = new ArrayList<>(List.of("candidates.json", "direction.json", "metrics.json"));

    static {
        for (CompletionSet s : CompletionSet.values()) REPORT_INPUTS.add("completions/" + s.key() + ".jsonl");
    }

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("refusal4j-fuzz-run");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        dev.refusal4j.io.AtomicFiles.deleteRecursively(dir);
    }

    @Provide
    Arbitrary<List<Mutation>> damage() {
        return Arbitraries.oneOf(Mutations.json(), Mutations.jsonValues(), Mutations.lines()).list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 40, seed = "2024")
    void reportOfADamagedRunIsWritten(@ForAll @DoubleRange(min = 0, max = 1) double whichFile,
                                                         @ForAll("damage") List<Mutation> damage) throws IOException {
        Path run = Fuzz.freshDir(dir, "run");
        SyntheticRun.write(run, 1);
        String name = REPORT_INPUTS.get(Math.min(REPORT_INPUTS.size() - 1, Mutations.at(whichFile, REPORT_INPUTS.size() - 1)));
        Path f = run.resolve(name);
        Files.write(f, Mutations.apply(Files.readAllBytes(f), damage));
        var outcome = Hostile.read(List.of(run.toString()), () -> Report.write(run, 8, CLOCK, s -> s.startsWith("I cannot")));
        assertThat(outcome.value().html()).exists();
    }

    /** analyze-suffix's file in a run folder, damaged: the report is still written, within the same bounds. */
    @Property(tries = 20, seed = "2025")
    void reportWithADamagedSuffixAnalysisIsWritten(@ForAll("damage") List<Mutation> damage) throws IOException {
        Path run = Fuzz.freshDir(dir, "suffix");
        SyntheticRun.write(run, 1);
        Path f = new dev.refusal4j.artifacts.RunFolder(run).suffixAnalysis();
        Files.createDirectories(f.getParent());
        SyntheticRun.suffixAnalysis(8, 1).write(f);
        Files.write(f, Mutations.apply(Files.readAllBytes(f), damage));
        var outcome = Hostile.read(List.of(run.toString()), () -> Report.write(run, 8, CLOCK, s -> s.startsWith("I cannot")));
        assertThat(outcome.value().html()).exists();
    }

    @Property(tries = 200, seed = "31")
    void damagedRunSettingsAreReadOrNamed(@ForAll("damage") List<Mutation> damage) throws IOException {
        Path run = Fuzz.freshDir(dir, "settings");
        Map<String, String> options = new LinkedHashMap<>();
        options.put("--model", "models/organism");
        options.put("--n-train", "128");
        options.put("--kl-threshold", null);
        new RunSettings(options).write(run.resolve("run.json"));
        Path f = run.resolve("run.json");
        Files.write(f, Mutations.apply(Files.readAllBytes(f), damage));
        var outcome = Hostile.read(f, () -> RunSettings.read(f), IOException.class);
        if (outcome.value() != null) outcome.value().differences(new RunSettings(options));
    }

    @Property(tries = 120, seed = "6")
    void damagedPromptSetsOfAResumedRunAreNamed(@ForAll @DoubleRange(min = 0, max = 1) double whichFile,
                                                @ForAll("damage") List<Mutation> damage) throws IOException {
        Path prompts = Fuzz.freshDir(dir, "prompts");
        List<List<Prompt>> sets = new ArrayList<>();
        for (int s = 0; s < 6; s++) sets.add(List.of(new Prompt("prompt " + s + " a", "cat"), new Prompt("prompt " + s + " b", null)));
        Map<String, String> sources = new LinkedHashMap<>();
        for (String n : RunPrompts.NAMES) sources.put(n, "test");
        new RunPrompts(sets.get(0), sets.get(1), sets.get(2), sets.get(3), sets.get(4), sets.get(5), sources).write(prompts);
        String name = RunPrompts.NAMES.get(Math.min(5, Mutations.at(whichFile, 5))) + ".json";
        Path f = prompts.resolve(name);
        Files.write(f, Mutations.apply(Files.readAllBytes(f), damage));
        Hostile.read(f, () -> RunPrompts.read(prompts), PromptFileException.class);
    }
}
