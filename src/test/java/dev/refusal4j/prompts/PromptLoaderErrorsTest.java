package dev.refusal4j.prompts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptLoaderErrorsTest {
    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void rfc4180QuotingCrLfAndEscapedQuotes() throws IOException {
        Path f = write("a.csv", "\uFEFFid,goal,category\r\n1,\"say \"\"hi\"\", then, wave\",x\r\n\r\n2,\"two\r\nlines\",\r\n3,plain,\"\"\r\n");
        List<Prompt> p = PromptLoader.load(f);
        assertThat(p).containsExactly(new Prompt("say \"hi\", then, wave", "x"), new Prompt("two\r\nlines", null), new Prompt("plain", null));
        assertThat(CsvTable.read(f).rowLines()).containsExactly(2, 4, 6);
    }

    @Test
    void unterminatedQuoteNamesFileAndLine() throws IOException {
        Path f = write("b.csv", "goal\nok\n\"never closed\nmore\n");
        assertThatThrownBy(() -> PromptLoader.load(f)).hasMessageContaining(f.toString()).hasMessageContaining("line 3")
                .hasMessageContaining("never closed");
    }

    @Test
    void wrongFieldCountNamesLine() throws IOException {
        Path f = write("c.csv", "goal,target\na,b\nc,d,e\n");
        assertThatThrownBy(() -> PromptLoader.load(f)).hasMessageContaining("line 3").hasMessageContaining("3 fields but the header has 2");
    }

    @Test
    void missingColumnListsTheColumnsFound() throws IOException {
        Path g = write("e.csv", "id,answer\n1,2\n");
        assertThatThrownBy(() -> PromptLoader.load(g)).hasMessageContaining(g.toString()).hasMessageContaining("[id, answer]")
                .hasMessageContaining("goal");
    }

    @Test
    void emptyFiles() throws IOException {
        for (String name : List.of("e.json", "e.jsonl", "e.csv", "e.txt")) {
            Path f = write(name, "\n  \n");
            assertThatThrownBy(() -> PromptLoader.load(f)).as(name).hasMessageContaining(f.toString());
        }
        Path header = write("h.csv", "goal,category\n");
        assertThatThrownBy(() -> PromptLoader.load(header)).hasMessageContaining("contains no prompts");
    }

    @Test
    void malformedJsonNamesLine() throws IOException {
        Path f = write("m.json", "[\n {\"instruction\": \"a\"},\n {\"instruction\": \"b\" \n]");
        assertThatThrownBy(() -> PromptLoader.load(f)).hasMessageContaining(f.toString()).hasMessageContaining("line 4")
                .hasMessageContaining("not valid JSON");
        Path obj = write("o.json", "{\"instruction\": \"a\"}");
        assertThatThrownBy(() -> PromptLoader.load(obj)).hasMessageContaining("expected a JSON list").hasMessageContaining(".jsonl");
        Path noKey = write("k.json", "[{\"text2\": \"a\", \"label\": 1}]");
        assertThatThrownBy(() -> PromptLoader.load(noKey)).hasMessageContaining("item 0").hasMessageContaining("[text2, label]");
    }

    @Test
    void jsonLinesWithLineNumbers() throws IOException {
        Path f = write("l.jsonl", "{\"prompt\": \"a\", \"type\": \"t\"}\n\n{\"goal\": \"b\"}\n");
        assertThat(PromptLoader.load(f)).containsExactly(new Prompt("a", "t"), new Prompt("b", null));
        Path bad = write("bad.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"} x\n");
        assertThatThrownBy(() -> PromptLoader.load(bad)).hasMessageContaining("line 2");
        Path empty = write("empty.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"  \"}\n");
        assertThatThrownBy(() -> PromptLoader.load(empty)).hasMessageContaining("line 2").hasMessageContaining("empty instruction");
    }

    @Test
    void jsonLinesInADotJsonFileAreRead() throws IOException {
        Path f = write("lines.json", "{\"instruction\": \"a\"}\n{\"instruction\": \"b\", \"category\": \"c\"}\n");
        assertThat(PromptLoader.load(f)).containsExactly(new Prompt("a", null), new Prompt("b", "c"));
        Path pretty = write("pretty.json", "{\n  \"prompts\": [\"a\"]\n}\n");
        assertThatThrownBy(() -> PromptLoader.load(pretty)).hasMessageContaining("expected a JSON list");
    }

    @Test
    void alpacaInputIsJoinedAfterABlankLine() throws IOException {
        Path f = write("alpaca.json", "[{\"instruction\": \"Summarize.\", \"input\": \"A long text.\", \"output\": \"x\"},"
                + " {\"instruction\": \" Name a color. \", \"input\": \"\", \"output\": \"red\"}]");
        assertThat(PromptLoader.load(f)).containsExactly(new Prompt("Summarize.\n\nA long text.", null), new Prompt("Name a color.", null));
    }

    @Test
    void tooFewPromptsSaysSourceAskedAndAvailable() {
        List<Prompt> three = List.of(new Prompt("a", null), new Prompt("b", null), new Prompt("c", null));
        assertThatThrownBy(() -> new PromptSets(42).sample(three, 5, "harmful.csv", "--n-train"))
                .hasMessageContaining("harmful.csv").hasMessageContaining("asks for 5").hasMessageContaining("only 3");
        assertThat(new PromptSets(42).sampleAtMost(three, 5)).hasSize(3);
    }
}
