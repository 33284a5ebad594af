package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code refusal4j tokenize}: one JSON line {"ids": [...], "pieces": [...]} per input text. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, defaultValueProvider = Defaults.ModelDefault.class,
        description = "Print the token ids and vocabulary pieces of texts, one JSON object a line.")
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (tokenizer.json, vocab.json+merges.txt, tokenizer.model, *.tiktoken), a .gguf file, or a Hugging Face id in the local cache (default: the bundled organism).")
    Path model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "The text to tokenize.")
        String text;

        @Option(names = "--texts", paramLabel = "FILE.jsonl", description = "One {\"text\": ...} object a line.")
        Path texts;
    }

    @Option(names = "--add-special-tokens", description = "Add what the tokenizer's post-processor adds (e.g. BOS).")
    boolean addSpecialTokens;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(model);
        PrintWriter out = spec.commandLine().getOut();
        if (input.text != null) {
            out.println(line(tokenizer, input.text));
        } else {
            try (BufferedReader r = Files.newBufferedReader(input.texts, StandardCharsets.UTF_8)) {
                int n = 0;
                for (String l = r.readLine(); l != null; l = r.readLine()) {
                    n++;
                    if (l.isBlank()) continue;
                    JsonNode node;
                    try {
                        node = Json.MAPPER.readTree(l);
                    } catch (com.fasterxml.jackson.core.JacksonException e) {
                        throw new IllegalArgumentException(input.texts + ": line " + n + " is not valid JSON: " + e.getOriginalMessage());
                    }
                    if (node == null || !node.path("text").isTextual()) {
                        throw new IllegalArgumentException(input.texts + ": line " + n + " has no string field \"text\"");
                    }
                    out.println(line(tokenizer, node.get("text").asText()));
                }
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IllegalArgumentException(input.texts + ": no such file");
            }
        }
        out.flush();
        return 0;
    }

    private String line(Tokenizer tokenizer, String text) throws IOException {
        int[] ids = tokenizer.encode(text, addSpecialTokens);
        ObjectNode o = Json.MAPPER.createObjectNode();
        ArrayNode idArray = o.putArray("ids"), pieces = o.putArray("pieces");
        for (int id : ids) {
            idArray.add(id);
            pieces.add(tokenizer.piece(id));
        }
        return Json.LINE.writeValueAsString(o);
    }
}
