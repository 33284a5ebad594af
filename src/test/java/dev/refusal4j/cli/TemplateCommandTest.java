package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.testutil.Shared;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code refusal4j template} prints exactly the text of a shared rendering case. */
class TemplateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Result(int exit, byte[] out, String err) { }

    private static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** The first line of cases.jsonl whose source is {@code source} and case is {@code name}. */
    private static JsonNode sharedCase(String source, String name) throws Exception {
        for (String line : Files.readAllLines(Shared.path("templates", "cases.jsonl"))) {
            JsonNode c = JSON.readTree(line);
            if (c.get("source").asText().equals(source) && c.get("case").asText().equals(name)) return c;
        }
        throw new AssertionError("no shared case " + source + " / " + name);
    }

    @Test
    void printsSharedCaseExactly(@TempDir Path tmp) throws Exception {
        // Llama 3.1's template writes the date with strftime_now and takes date_string as a variable.
        String source = "llamacpp-meta-llama-Llama-3.1-8B-Instruct.jinja";
        JsonNode c = sharedCase(source, "multi-turn");
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.copy(Shared.path("templates", "sources", source), model.resolve("chat_template.jinja"));
        Path messages = tmp.resolve("messages.json");
        JSON.writeValue(messages.toFile(), c.get("messages"));
        List<String> args = new ArrayList<>(List.of("template", "--model", model.toString(), "--messages", messages.toString(),
                "--date", "2024-07-26"));
        if (c.get("add_generation_prompt").asBoolean()) args.add("--add-generation-prompt");
        c.get("variables").fields().forEachRemaining(e -> args.addAll(List.of("--var", e.getKey() + "=" + e.getValue().asText())));

        Result r = run(args.toArray(String[]::new));

        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(c.get("expected").asText().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void varValuesAreJsonWhenValidJson() {
        assertThat(TemplateCommand.parseValue("true")).isEqualTo(true);
        assertThat(TemplateCommand.parseValue("12")).isEqualTo(12);
        assertThat(TemplateCommand.parseValue("{\"a\": [1]}")).isEqualTo(Map.of("a", List.of(1)));
        assertThat(TemplateCommand.parseValue("26 Jul 2024")).isEqualTo("26 Jul 2024");
        assertThat(TemplateCommand.parseValue("<s>")).isEqualTo("<s>");
        assertThat(TemplateCommand.parseValue("NaN")).as("strict JSON: Python's bare NaN is text here").isEqualTo("NaN");
    }

    @Test
    void rejectedConversationExitsNonZeroNamingFileAndMessage(@TempDir Path tmp) throws Exception {
        // Gemma's template refuses a system message.
        Path model = Files.createDirectories(tmp.resolve("gemma"));
        Files.copy(Shared.path("templates", "sources", "llamacpp-google-gemma-2-2b-it.jinja"), model.resolve("chat_template.jinja"));
        Path messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"system\", \"content\": \"S\"}, {\"role\": \"user\", \"content\": \"U\"}]");
        Result r = run("template", "--model", model.toString(), "--messages", messages.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("error: ").contains("chat_template.jinja").contains("System role not supported");
    }

    @Test
    void badInputsAreNamed(@TempDir Path tmp) throws Exception {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Files.writeString(model.resolve("chat_template.jinja"), "{{ messages[0].content }}");
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{not json");
        Result r = run("template", "--model", model.toString(), "--messages", bad.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("bad.json").contains("malformed JSON");

        Path ok = tmp.resolve("ok.json");
        Files.writeString(ok, "[{\"role\": \"user\", \"content\": \"x\"}]");
        r = run("template", "--model", model.toString(), "--messages", ok.toString(), "--date", "26/07/2024");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--date").contains("YYYY-MM-DD");

        r = run("template", "--model", tmp.resolve("nomodel").toString(), "--messages", ok.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("nomodel");
    }

    /** A Llama-2 chat folder: Llama architecture, Llama-2's tokenizer (TinyLlama's) and its Hugging Face template. */
    static Path llama2Folder(Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.copy(dev.refusal4j.testutil.Shared.path("golden", "llama", "config.json"), dir.resolve("config.json"));
        java.nio.file.Files.copy(dev.refusal4j.testutil.Shared.path("tokenizers", "hf", "tinyllama-chat", "tokenizer.json"), dir.resolve("tokenizer.json"));
        java.nio.file.Files.copy(dev.refusal4j.testutil.Shared.path("templates", "sources", "Llama-2-7b-chat-hf.tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }

    @Test
    void instructionJsonIsWhatRunUsesInThePapersFormatOrTheModels(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path model = llama2Folder(tmp.resolve("llama2"));
        CliOutput paper = CliOutput.run("template", "--model", model.toString(), "--instruction", "Tell me a joke", "--json");
        assertThat(paper.exitCode()).isZero();
        var j = dev.refusal4j.io.Json.MAPPER.readTree(paper.stdout());
        assertThat(j.get("format").asText()).isEqualTo("paper:llama2");
        assertThat(j.get("text").asText()).isEqualTo("[INST] Tell me a joke [/INST] ");
        assertThat(j.get("ids").get(0).asInt()).isEqualTo(1);                 // the tokenizer's BOS, as the paper's tokenizer(prompts)
        assertThat(j.get("post_instruction_ids")).hasSize(6);
        assertThat(j.get("refusal_tokens").toString()).isEqualTo("[306]");
        CliOutput deployed = CliOutput.run("template", "--model", model.toString(), "--instruction", "Tell me a joke", "--json", "--prompt-format", "model");
        var m = dev.refusal4j.io.Json.MAPPER.readTree(deployed.stdout());
        assertThat(m.get("format").asText()).isEqualTo("template");
        assertThat(m.get("text").asText()).isEqualTo("<s>[INST] Tell me a joke [/INST]");   // Hugging Face's: no final space
        assertThat(m.get("post_instruction_ids").size()).isLessThan(6);
    }
}
