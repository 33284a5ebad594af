package dev.refusal4j.cli;

import dev.refusal4j.attack.AttackPrompt;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.evaluate.Completion;
import dev.refusal4j.evaluate.CompletionsFile;
import dev.refusal4j.prompts.Prompt;
import dev.refusal4j.prompts.PromptLoader;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.generate.TextGenerator;
import dev.refusal4j.model.Transformer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code refusal4j generate}: responses to one prompt or a file of prompts, optionally steered. */
@Command(name = "generate", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = "Generate responses with the model's chat template (greedy by default).")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "One user message.")
        String prompt;
        @Option(names = "--prompts", paramLabel = "FILE", description = "A prompt file (JSON, JSONL, CSV, text: one per line).")
        Path prompts;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt.")
    String system;
    @Option(names = "--suffix", paramLabel = "TEXT",
            description = "Appended to every user message after a space, where suffix-attack places its suffix (the \"suffix\" of its suffix.json).")
    String suffix;
    @Option(names = "--max-new-tokens", defaultValue = "256", description = "Default ${DEFAULT-VALUE}.")
    int maxNewTokens;
    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop when this text appears (repeatable).")
    List<String> stop = new ArrayList<>();
    @Option(names = "--batch-size", defaultValue = "16", description = "Prompts generated together (default ${DEFAULT-VALUE}).")
    int batchSize;
    @Option(names = "--jsonl", paramLabel = "OUT", description = {"Write the completions here, one {\"instruction\", \"category\", \"response\"}"
            + " object a line: the project's completions layout, which judge reads. The file appears when every response is written."})
    Path jsonl;
    @Mixin
    SteeringOptions steering;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) throw new IllegalArgumentException("--batch-size must be at least 1, got " + batchSize);
        dev.refusal4j.io.OutputPaths.refuseInputs("--jsonl", jsonl, dev.refusal4j.io.OutputPaths.input("model folder", model), dev.refusal4j.io.OutputPaths.input("prompt file", input.prompts));
        try (Transformer m = Transformer.load(model)) {
            steering.check(m.config);
            PromptEncoder enc = PromptEncoder.load(model, null, system);
            TextGenerator gen = new TextGenerator(m, enc, GenerationConfig.stopIds(model, m.config, enc.tokenizer));
            List<Prompt> prompts = input.prompt != null ? List.of(new Prompt(input.prompt, null)) : PromptLoader.load(input.prompts);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            boolean streamOne = prompts.size() == 1 && jsonl == null;
            List<Completion> done = new ArrayList<>();
            for (int s = 0; s < prompts.size(); s += batchSize) {
                List<Prompt> chunk = prompts.subList(s, Math.min(prompts.size(), s + batchSize));
                List<List<Map<String, Object>>> convs = new ArrayList<>();
                for (Prompt p : chunk) convs.add(enc.messages(suffix == null ? p.instruction() : AttackPrompt.withSuffix(p.instruction(), suffix)));
                var outs = gen.generate(convs, maxNewTokens, steering.sampling(), stop, steering.hooks(),
                        streamOne ? (b, text) -> out.print(text) : null);
                for (int i = 0; i < chunk.size(); i++) {
                    if (jsonl != null) {
                        done.add(new Completion(chunk.get(i).instruction(), chunk.get(i).category(), outs.get(i).text()));
                    } else if (streamOne) {
                        out.println();
                    } else {
                        out.println("### " + chunk.get(i).instruction());
                        out.println(outs.get(i).text());
                        out.println();
                    }
                }
            }
            if (jsonl != null) CompletionsFile.writeJsonl(jsonl, done);
        }
        return 0;
    }
}
