package dev.refusal4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A text file in another encoding is named as such, where the JDK says only "Input length = 2". */
class TextFilesTest {
    @TempDir
    Path tmp;

    @Test
    void latin1IsNamedWithItsFirstBadByteAndLine() throws IOException {
        Path f = Files.write(tmp.resolve("prompts.txt"), new byte[] {'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> Files.readString(f)).hasMessageStartingWith("Input length = "); // what users used to see
        assertThatThrownBy(() -> TextFiles.read(f)).isInstanceOf(ModelFormatException.class)
                .hasMessage(f + ": is not UTF-8 text (byte 0xE9 at offset 6, line 2); save it as UTF-8");
        Path cut = Files.write(tmp.resolve("cut.txt"), new byte[] {'a', (byte) 0xE2, (byte) 0x82});
        assertThatThrownBy(() -> TextFiles.readLines(cut)).hasMessageContaining("cut.txt: is not UTF-8 text").hasMessageContaining("offset 1");
    }

    @Test
    void utf8ReadsAsTheJdkReadsIt() throws IOException {
        Path f = Files.writeString(tmp.resolve("ok.txt"), "\uFEFFcafé\r\nnaïve 🙂\rlast\n\nx");
        assertThat(TextFiles.read(f)).isEqualTo(Files.readString(f));
        assertThat(TextFiles.readLines(f)).isEqualTo(Files.readAllLines(f));
        assertThat(TextFiles.readLines(Files.writeString(tmp.resolve("empty.txt"), ""))).isEmpty();
    }
}
