package dev.refusal4j.cli;

import dev.refusal4j.io.gguf.GgufFile;
import dev.refusal4j.io.gguf.GgufReader;
import dev.refusal4j.io.gguf.GgufTensorInfo;
import dev.refusal4j.io.gguf.GgufType;
import dev.refusal4j.io.gguf.MappedGguf;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code refusal4j gguf-info FILE}: a GGUF file's metadata and tensor table, the file checked whole. */
@Command(name = "gguf-info", mixinStandardHelpOptions = true,
        description = "Print a GGUF file's metadata and tensor table (name, type, shape, bytes); every tensor is checked to lie inside the file.")
public final class GgufInfoCommand implements Callable<Integer> {
    private static final int SHOWN_ELEMENTS = 8, SHOWN_CHARS = 100;

    @Parameters(index = "0", paramLabel = "FILE", description = "The .gguf file.")
    Path file;

    @Option(names = "--header-only", description = "Read the header alone, as for a vocabulary excerpt whose tensor data is absent.")
    boolean headerOnly;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (headerOnly) {
            print(GgufReader.read(file), out);
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MappedGguf g = GgufReader.open(file, arena);
                print(g.header(), out);
            }
        }
        out.flush();
        return 0;
    }

    static void print(GgufFile g, PrintWriter out) {
        out.printf("%s: GGUF v%d, %d metadata entries, %d tensors, alignment %d, tensor data at byte %d%n",
                g.path(), g.version(), g.metadata().size(), g.tensors().size(), g.alignment(), g.dataOffset());
        int keyWidth = g.metadata().keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
            String key = e.getKey();
            GgufType type = g.types().get(key);
            String typeName = type == GgufType.ARRAY
                    ? "array[" + g.elementTypes().get(key) + " × " + Array.getLength(e.getValue()) + "]"
                    : type.toString();
            out.printf("  %-" + keyWidth + "s  %-9s %s%n", key, typeName, show(type == GgufType.ARRAY ? g.elementTypes().get(key) : type, e.getValue()));
        }
        if (g.tensors().isEmpty()) return;
        int nameWidth = Math.max(4, g.tensors().stream().mapToInt(t -> t.name().length()).max().orElse(0));
        out.printf("  %-" + nameWidth + "s  %-7s %-26s %s%n", "name", "type", "shape", "bytes");
        Map<String, long[]> byType = new TreeMap<>();
        long total = 0;
        for (GgufTensorInfo t : g.tensors()) {
            out.printf("  %-" + nameWidth + "s  %-7s %-26s %d%n", t.name(), t.type().ggmlName, t.shape(), t.bytes());
            long[] sum = byType.computeIfAbsent(t.type().ggmlName, k -> new long[2]);
            sum[0]++;
            sum[1] += t.bytes();
            total += t.bytes();
        }
        StringBuilder types = new StringBuilder();
        byType.forEach((name, s) -> types.append(types.isEmpty() ? "" : ", ").append(name).append(" ").append(s[0]));
        out.printf("  %d tensors, %d bytes (%s)%n", g.tensors().size(), total, types);
    }

    /** A value on one line: arrays cut after a few elements, long strings cut, control characters escaped. */
    private static String show(GgufType type, Object v) {
        if (v == null) return "";
        if (v.getClass().isArray()) {
            int n = Array.getLength(v);
            StringBuilder b = new StringBuilder("[");
            for (int i = 0; i < Math.min(n, SHOWN_ELEMENTS); i++) {
                Object element = Array.get(v, i);
                b.append(i > 0 ? ", " : "").append(element != null && element.getClass().isArray() ? show(null, element) : show(type, element));
            }
            return b.append(n > SHOWN_ELEMENTS ? ", … " + n + " in all]" : "]").toString();
        }
        if (v instanceof String s) {
            StringBuilder b = new StringBuilder("\"");
            for (int i = 0; i < Math.min(s.length(), SHOWN_CHARS); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') b.append('\\').append(c);
                else if (c < 0x20 || c == 0x7F) b.append(String.format("\\x%02x", (int) c));
                else b.append(c);
            }
            return b.append(s.length() > SHOWN_CHARS ? "…\" (" + s.length() + " chars)" : "\"").toString();
        }
        if (type == GgufType.UINT64 && v instanceof Long l) return Long.toUnsignedString(l);
        return String.valueOf(v);
    }
}
