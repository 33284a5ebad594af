package dev.refusal4j.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Files that appear whole or not at all: every writer of the project writes a hidden
 * {@code .NAME.*.partial} beside the target and renames it into place only when it is complete,
 * so a crash, a full disk or a kill leaves the old file (or none), never half of a new one. The
 * finished file has the permissions a plain file would have under the umask.
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

    /**
     * A new empty {@code .NAME.RANDOM.partial} in the target's folder (created if missing). Created
     * with the default attributes, so that its permissions, and the finished file's, follow the
     * umask as a plain file's do ({@link Files#createTempFile} would make it owner-only).
     */
    private static Path partialBeside(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        while (true) {
            try {
                return Files.createFile(parent.resolve("." + file.getFileName() + "." + randomName() + ".partial"));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // another name
            }
        }
    }

    /**
     * A new empty folder {@code .NAME.partial-RANDOM} beside {@code target} (its parent must exist),
     * for writers that build a whole folder and rename it into place. Created with the default
     * attributes, so that its permissions follow the umask as {@code mkdir}'s do.
     */
    public static Path newPartialFolder(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        while (true) {
            try {
                return Files.createDirectory(parent.resolve(partialFolderPrefix(target) + randomName()));
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                // another name
            }
        }
    }

    /** The name that every {@link #newPartialFolder} of {@code target} starts with. */
    public static String partialFolderPrefix(Path target) {
        return "." + target.getFileName() + ".partial-";
    }

    private static String randomName() {
        return Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36);
    }

    /** Renames a finished temporary file over the target. */
    public static void moveIntoPlace(Path tmp, Path file) throws IOException {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Deletes a file or a folder with everything in it; a missing path is not an error. Symlinks are removed, not followed. */
    public static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(path)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
