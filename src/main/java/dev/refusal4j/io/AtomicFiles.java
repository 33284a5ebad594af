package dev.refusal4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Files that appear whole or not at all: every writer of the project writes a hidden
 * {@code .NAME.*.partial} beside the target and renames it into place only when it is complete,
 * so a crash, a full disk or a kill leaves the old file (or none), never half of a new one.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes the bytes a writer produces; the target is replaced only after the writer returns. */
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    public static void write(Path file, byte[] bytes) throws IOException {
        write(file, out -> out.write(bytes));
    }

    public static void write(Path file, Writer writer) throws IOException {
        Path tmp = partialBeside(file);
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.writeTo(out);
            }
            moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes through a file channel, for writers that place bytes by position. */
    public interface ChannelWriter {
        void writeTo(FileChannel out) throws IOException;
    }

    /**
     * {@link #write(Path, Writer)} for model files (safetensors, GGUF): the writer may seek, and the
     * bytes are forced to disk before the rename, so that not even a power cut can leave a
     * complete-looking file whose data never reached the disk.
     */
    public static void writeChannel(Path file, ChannelWriter writer) throws IOException {
        Path tmp = partialBeside(file);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.writeTo(ch);
                ch.force(true);
            }
            moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** A new empty {@code .NAME.*.partial} in the target's folder (created if missing). */
    private static Path partialBeside(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return Files.createTempFile(parent, "." + file.getFileName() + ".", ".partial");
    }

    /** Renames a finished temporary file over the target (readable by all, as a plain file would be). */
    public static void moveIntoPlace(Path tmp, Path file) throws IOException {
        readableByAll(tmp);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** rw-r--r--: temporary files are created owner-only, the finished file should not be. */
    public static void readableByAll(Path p) throws IOException {
        if (p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** Deletes a file or a folder with everything in it; a missing path is not an error. Symlinks are removed, not followed. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(path)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
