package dev.refusal4j.cli;

import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.generate.GenerationConfig;
import dev.refusal4j.generate.TextGenerator;
import dev.refusal4j.model.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code refusal4j chat}: an interactive conversation that streams tokens and keeps history. On a
 * terminal the input line can be edited and earlier lines recalled (JLine); piped input is read line
 * by line.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = {"Chat with a model. Commands: /reset (forget the conversation), /system TEXT (set the system prompt), /quit.",
                "On a terminal: arrow keys edit the line and recall earlier ones, Ctrl-D quits."})
public final class ChatCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "MODEL", description = "The model: a Hugging Face folder, a .gguf file (any part of a split one), or a Hugging Face id in the local cache (default: the bundled organism).")
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
            out.println("refusal4j chat with " + model + " (" + m.config.architecture + "). /reset, /system TEXT, /quit");
            out.println("steering: " + describeSteering(steering, m.config.layers));
            try (Input in = Input.open(out)) {
                while (true) {
                    String line = in.readLine("> ");
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
        }
        return 0;
    }

    /** What the model's answers are steered by: the direction file, mode, coefficient and layers, or "none". */
    static String describeSteering(SteeringOptions s, int modelLayers) throws IOException {
        if (!s.ablate && s.add == null) return "none (the model as it is)";
        RefusalDirection d = RefusalDirection.read(s.direction);
        String from = s.direction + " (layer " + d.layer() + ", position " + d.position() + ")";
        List<String> parts = new ArrayList<>();
        if (s.ablate) parts.add("ablating " + from + " at all " + modelLayers + " layers (resid_pre, attn_out, mlp_out)");
        if (s.add != null) parts.add("adding " + s.add + " × " + (s.ablate ? "it" : from) + " at layer " + d.layer() + " (resid_pre)");
        return String.join("; ", parts);
    }

    /** Lines typed by the user: JLine's editor and history on a terminal, else plain lines of standard input. */
    interface Input extends AutoCloseable {
        /** The next line, or null at the end of input (Ctrl-D, end of a pipe). */
        String readLine(String prompt) throws IOException;

        @Override
        void close() throws IOException;

        static Input open(PrintStream out) throws IOException {
            java.io.Console console = System.console();
            if (console != null && console.isTerminal()) return editor(TerminalBuilder.builder().system(true).build());
            return lines(out);
        }

        /** JLine's line editor on {@code terminal}, with the lines read so far as history (in memory only). */
        static Input editor(Terminal terminal) {
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).build();
            return new Input() {
                @Override
                public String readLine(String prompt) {
                    while (true) {
                        try {
                            return reader.readLine(prompt);
                        } catch (UserInterruptException e) { // Ctrl-C drops the line being typed
                            continue;
                        } catch (EndOfFileException e) {
                            return null;
                        }
                    }
                }

                @Override
                public void close() throws IOException { terminal.close(); }
            };
        }

        /** Plain lines of standard input, the prompt printed before each. */
        static Input lines(PrintStream out) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            return new Input() {
                @Override
                public String readLine(String prompt) throws IOException {
                    out.print(prompt);
                    out.flush();
                    return in.readLine();
                }

                @Override
                public void close() { } // standard input stays open
            };
        }
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
