package dev.refusal4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    @Test
    void aFailedWriteLeavesTheOldFileAndNoPartial() throws IOException {
        Path f = tmp.resolve("sub/model.bin");
        AtomicFiles.writeChannel(f, ch -> {
            ch.position(4);
            ch.write(ByteBuffer.wrap("tail".getBytes(StandardCharsets.UTF_8)));
            ch.position(0);
            ch.write(ByteBuffer.wrap("head".getBytes(StandardCharsets.UTF_8)));
        });
        assertThat(f).hasContent("headtail");
        assertThatThrownBy(() -> AtomicFiles.writeChannel(f, ch -> {
            ch.write(ByteBuffer.wrap("half".getBytes(StandardCharsets.UTF_8)));
            throw new IOException("disk full (simulated)");
        })).hasMessageContaining("simulated");
        assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
            out.write(1);
            throw new IOException("disk full (simulated)");
        })).hasMessageContaining("simulated");
        assertThat(f).hasContent("headtail");
        try (var s = Files.list(f.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("model.bin");
        }
    }

    @Test
    void deleteRecursivelyRemovesAFolderAndIgnoresAMissingOne() throws IOException {
        Path d = tmp.resolve("d");
        AtomicFiles.write(d.resolve("a/b.txt"), "x".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.deleteRecursively(d);
        assertThat(d).doesNotExist();
        AtomicFiles.deleteRecursively(d);
    }
}
