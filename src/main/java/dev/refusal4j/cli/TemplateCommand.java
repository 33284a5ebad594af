package dev.refusal4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.chat.ChatTemplate;
import dev.refusal4j.chat.PromptEncoder;
import dev.refusal4j.io.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code refusal4j template}: prints a conversation rendered with the model's chat template, byte for byte. */
@Command(name = "template",
        mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = "Render a conversation with the model's chat template exactly as Hugging Face does "
                + "(printed as is, no newline added).")
public final class TemplateCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder with chat_template.jinja or tokenizer_config.json, a .gguf file (tokenizer.chat_template), or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    @Option(names = "--messages",
            description = "JSON file: a list of {\"role\": ..., \"content\": ...} messages.")
    Path messages;

    @Option(names = "--instruction", paramLabel = "TEXT",
            description = "Instead of --messages: the prompt that 'run' builds for this instruction (with --prompt-format and --system-prompt).")
    String instruction;

    @Option(names = "--prompt-format", defaultValue = "paper", paramLabel = "paper|model",
            description = "With --instruction: the paper's format for its model families, or the model's template as deployed (default ${DEFAULT-VALUE}).")
    String promptFormat;

    @Option(names = {"--system-prompt", "--system"}, paramLabel = "TEXT|none", description = "With --instruction: a system prompt; 'none' (default) gives none.")
    String system;

    @Option(names = "--json", description = "With --instruction: one JSON object with text, ids, post_instruction_ids and refusal_tokens, exactly what 'run' uses.")
    boolean json;

    @Option(names = "--add-generation-prompt", description = "Append the assistant turn header.")
    boolean addGenerationPrompt;

    @Option(names = "--var", paramLabel = "KEY=VALUE",
            description = "Extra template variable; VALUE is parsed as JSON when it is valid JSON, else taken as text.")
    List<String> vars = new ArrayList<>();

    @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "The day strftime_now sees (default: today).")
    String date;

    @Override
    public Integer call() throws IOException {
        if ((messages == null) == (instruction == null)) throw new IllegalArgumentException("give either --messages FILE or --instruction TEXT");
        if (instruction != null) return runPrompt();
        Map<String, Object> extra = new LinkedHashMap<>();
        for (String kv : vars) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--var " + kv + ": expected KEY=VALUE");
            extra.put(kv.substring(0, eq), parseValue(kv.substring(eq + 1)));
        }
        LocalDate day = null;
        if (date != null) {
            try {
                day = LocalDate.parse(date);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--date " + date + ": expected YYYY-MM-DD");
            }
        }
        List<Map<String, Object>> conversation = readMessages(messages);
        String text = ChatTemplate.load(model).render(conversation, addGenerationPrompt, extra, day);
        PrintStream out = System.out;
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
        return 0;
    }

    /** The prompt of one instruction as 'run' builds it. */
    private int runPrompt() throws IOException {
        boolean hasConfig = dev.refusal4j.io.ModelPath.of(model).isGguf() || Files.isRegularFile(model.resolve("config.json"));
        String architecture = hasConfig ? dev.refusal4j.model.ModelConfig.load(model).architecture : "";
        String sys = system == null || system.equalsIgnoreCase("none") ? null : system;
        PromptEncoder enc = PromptEncoder.load(model, null, sys, PromptEncoder.Format.parse(promptFormat), architecture);
        String text = enc.render(instruction);
        if (!json) {
            System.out.write(text.getBytes(StandardCharsets.UTF_8));
            System.out.flush();
            return 0;
        }
        int[] ids = enc.encode(instruction);
        int n = enc.postInstructionTokens();
        var o = Json.MAPPER.createObjectNode();
        o.put("format", enc.paperFormat() != null ? "paper:" + enc.paperFormat().name().toLowerCase(java.util.Locale.ROOT) : "template");
        o.put("text", text);
        var a = o.putArray("ids");
        for (int id : ids) a.add(id);
        var p = o.putArray("post_instruction_ids");
        for (int i = Math.max(0, ids.length - n); i < ids.length; i++) p.add(ids[i]);
        var r = o.putArray("refusal_tokens");
        for (int t : enc.refusalTokens()) r.add(t);
        o.put("injected_system_prompt", enc.templateInjectsSystemPrompt());
        System.out.println(Json.LINE.writeValueAsString(o));
        return 0;
    }

    static Object parseValue(String v) {
        try {
            // whole value must be JSON ("26 Jul 2024" is text, not the number 26 followed by junk), and
            // strict JSON: a bare NaN or Infinity stays the text it reads as, not a float
            return Json.MAPPER.readerFor(Object.class).without(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).readValue(v);
        } catch (JsonProcessingException e) {
            return v;
        }
    }

    static List<Map<String, Object>> readMessages(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("messages file not found: " + file);
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (root != null && root.isObject() && root.has("messages")) root = root.get("messages");
        if (root == null || !root.isArray()) throw new IllegalArgumentException(file + ": expected a JSON list of messages");
        for (int i = 0; i < root.size(); i++) {
            if (!root.get(i).isObject()) throw new IllegalArgumentException(file + ": message " + i + " is not a JSON object");
        }
        return Json.MAPPER.convertValue(root, new TypeReference<List<Map<String, Object>>>() { });
    }
}
