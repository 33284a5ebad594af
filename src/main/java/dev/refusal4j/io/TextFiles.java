package dev.refusal4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Text files read as UTF-8, where a file in another encoding is an error that says so: the JDK's
 * own readers report only "Input length = 3". The message names the file, the first byte that is
 * not UTF-8, its offset and line.
 */
public final class TextFiles {
    private TextFiles() {}

    /** The whole file as text (a leading byte-order mark is kept; callers that allow one strip it). */
    public static String read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, (long) bytes.length + 1));
        var r = d.decode(in, out, true);
        if (r.isError()) throw notUtf8(file, bytes, in.position());
        r = d.flush(out);
        if (r.isError()) throw notUtf8(file, bytes, in.position());
        return out.flip().toString();
    }

    /** The file's lines (split at \n, \r\n or \r, without them), as {@link Files#readAllLines} gives them. */
    public static List<String> readLines(Path file) throws IOException {
        return read(file).lines().toList();
    }

    private static ModelFormatException notUtf8(Path file, byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset && i < bytes.length; i++) if (bytes[i] == '\n') line++;
        String b = offset < bytes.length ? String.format("byte 0x%02X", bytes[offset] & 0xFF) : "a truncated character";
        return new ModelFormatException(file, "is not UTF-8 text (" + b + " at offset " + offset + ", line " + line
                + "); save it as UTF-8");
    }
}
