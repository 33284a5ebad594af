package dev.refusal4j.cli;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.generate.TextGenerator;
import dev.refusal4j.model.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code refusal4j chat}: an interactive conversation that streams tokens and keeps history. */
@Command(name = "chat", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {"Chat with a model. Commands: /reset (forget the conversation), /system TEXT (set the system prompt), /quit."})
public final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Model directory (default: the bundled organism).")
    Path model;
    @Option(names = "--system", paramLabel = "TEXT", description = "System prompt.")
    String system;
    @Option(names = "--max-new-tokens", defaultValue = "512", description = "Default ${DEFAULT-VALUE}.")
    int maxNewTokens;
    @Mixin
    SteeringOptions steering;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (Transformer m = Transformer.load(model)) {
            steering.check(m.config);
            PromptEncoder enc = PromptEncoder.load(model, null, null);
            TextGenerator gen = new TextGenerator(m, enc, GenerationConfig.stopIds(model, m.config, enc.tokenizer));
            List<Map<String, Object>> history = new ArrayList<>();
            String sys = system;
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            out.println("refusal4j chat with " + model + " (" + m.config.architecture + "). /reset, /system TEXT, /quit");
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/quit")) break;
                if (line.isBlank()) continue;
                if (line.strip().equals("/reset")) {
                    history.clear();
                    out.println("(conversation cleared)");
                    continue;
                }
                if (line.startsWith("/system")) {
                    sys = line.substring("/system".length()).strip();
                    if (sys.isEmpty()) sys = null;
                    history.clear();
                    out.println(sys == null ? "(system prompt removed; conversation cleared)" : "(system prompt set; conversation cleared)");
                    continue;
                }
                List<Map<String, Object>> conv = new ArrayList<>();
                if (sys != null) conv.add(message("system", sys));
                conv.addAll(history);
                conv.add(message("user", line));
                long t0 = System.nanoTime();
                TextGenerator.Output o;
                try {
                    o = gen.generate(List.of(conv), maxNewTokens, steering.sampling(), List.of(), steering.hooks(), (b, text) -> out.print(text)).getFirst();
                } catch (RuntimeException e) {
                    out.println();
                    out.println("(error: " + e.getMessage() + ")");
                    continue;
                }
                double s = (System.nanoTime() - t0) / 1e9;
                out.printf("%n[%d tokens, %.1f tokens/s]%n", o.tokens(), o.tokens() / s);
                history.add(message("user", line));
                history.add(message("assistant", o.text()));
            }
        }
        return 0;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
