package dev.refusal4j.cli;

import dev.refusal4j.prompts.BuiltinPrompts;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Loads a prompt file the way the pipeline will and shows what it found. */
@Command(name = "prompts", mixinStandardHelpOptions = true,
        description = {"Check a prompt file (JSON, JSONL, CSV, text, Alpaca JSON): count per category and the first prompts.",
                "Without FILE: the built-in harmful and harmless sets."})
final class PromptsCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "FILE")
    List<Path> files = List.of();

    @Option(names = "--show", defaultValue = "3", description = "how many prompts to print per file (default 3)")
    int show;

    @Override
    public Integer call() {
        if (files.isEmpty()) {
            report("built-in harmful", BuiltinPrompts.harmful());
            report("built-in harmless", BuiltinPrompts.harmless());
        }
        for (Path f : files) report(f.toString(), PromptLoader.load(f));
        return 0;
    }

    private void report(String name, List<Prompt> prompts) {
        Map<String, Integer> perCategory = new TreeMap<>();
        for (Prompt p : prompts) perCategory.merge(p.category() == null ? "(none)" : p.category(), 1, Integer::sum);
        System.out.printf("%s: %d prompts, %d categories%n", name, prompts.size(), perCategory.size());
        perCategory.forEach((k, v) -> System.out.printf("  %-40s %d%n", k, v));
        for (int i = 0; i < Math.min(show, prompts.size()); i++) {
            System.out.printf("  [%d] %s%n", i, prompts.get(i).instruction().replace("\n", "\\n"));
        }
    }
}
