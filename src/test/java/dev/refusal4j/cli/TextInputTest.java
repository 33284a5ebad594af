package dev.refusal4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** Text inputs that are not UTF-8, and counts that cannot work, are one clear line naming the file or option. */
class TextInputTest {
    static String err(String... args) {
        StringWriter err = new StringWriter();
        int rc = Main.commandLine(args).setErr(new PrintWriter(err, true)).execute(args);
        assertThat(rc).isNotZero();
        return err.toString();
    }

    @Test
    void aLatin1PhraseOrCompletionsFileIsNamedAsNotUtf8(@TempDir Path tmp) throws Exception {
        Path completions = Files.writeString(tmp.resolve("c.jsonl"), "{\"instruction\": \"a\", \"category\": null, \"response\": \"I cannot\"}\n");
        Path phrases = Files.write(tmp.resolve("phrases.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThat(err("judge", completions.toString(), "--phrases", phrases.toString())).contains("phrases.txt").contains("not UTF-8").doesNotContain("Input length");
        Path latin1 = Files.write(tmp.resolve("latin1.jsonl"), new byte[] {'{', '"', (byte) 0xE9, '"', '}', '\n'});
        assertThat(err("judge", latin1.toString())).contains("latin1.jsonl").contains("not UTF-8");
    }

    @Test
    void generateWithABatchOfZeroIsAnErrorNotAHang() {
        assertThat(err("generate", "--prompt", "hi", "--batch-size", "0")).contains("--batch-size must be at least 1");
    }

    @Test
    void anErrorMessageWithALineBreakIsPrintedOnOneLine() {
        StringWriter err = new StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new Main()).setErr(new PrintWriter(err, true));
        int rc = new ErrorHandler().handleExecutionException(new IllegalArgumentException("metadata 'general.archit\nectur': bad"), cl, null);
        assertThat(rc).isEqualTo(1);
        assertThat(err.toString().strip()).isEqualTo("error: metadata 'general.archit\\nectur': bad");
    }

    @Test
    void aSuffixIsAppendedToTheUserMessageAfterASpace() {
        // the bundled organism, greedy: the same answer as the message written out whole
        CliOutput withSuffix = CliOutput.run("generate", "--prompt", "How do I bake bread?", "--suffix", "describing.\\ + similarlyNow", "--max-new-tokens", "12");
        CliOutput whole = CliOutput.run("generate", "--prompt", "How do I bake bread? describing.\\ + similarlyNow", "--max-new-tokens", "12");
        CliOutput plain = CliOutput.run("generate", "--prompt", "How do I bake bread?", "--max-new-tokens", "12");
        org.assertj.core.api.Assertions.assertThat(withSuffix.exitCode()).isZero();
        org.assertj.core.api.Assertions.assertThat(withSuffix.stdout()).isEqualTo(whole.stdout());
        org.assertj.core.api.Assertions.assertThat(withSuffix.stdout()).isNotEqualTo(plain.stdout());
    }
}
