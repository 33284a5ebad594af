package dev.refusal4j.run;

import dev.refusal4j.io.ModelPath;
import dev.refusal4j.model.LayerSweep;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The memory a run may use: {@code --memory-limit}, else the cgroup's limit, else the machine's.
 * A model whose weights exceed it cannot stay in the page cache, so every whole forward pass would
 * read it from disk again: activations and scoring then sweep it one layer at a time
 * ({@link LayerSweep}), reading each layer once per sweep.
 */
public final class MemoryLimit {
    private MemoryLimit() {}

    /** "8G", "512M", "1.5T", "123456" (bytes): binary units, as -Xmx reads them. */
    public static long parse(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT);
        if (t.endsWith("B")) t = t.substring(0, t.length() - 1);
        long unit = 1;
        if (!t.isEmpty()) {
            switch (t.charAt(t.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> { }
            }
        }
        if (unit > 1) t = t.substring(0, t.length() - 1);
        try {
            double v = Double.parseDouble(t);
            if (!(v > 0) || v * unit > Long.MAX_VALUE) throw new NumberFormatException();
            return (long) (v * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--memory-limit must be a size such as 8G, 512M or 1073741824, got '" + s + "'");
        }
    }

    /** The limit of this process's cgroup; 0 when there is none. */
    static long cgroup() {
        try {
            return cgroup(Files.readAllLines(Path.of("/proc/self/cgroup")), Path.of("/sys/fs/cgroup"));
        } catch (IOException e) {
            return 0;   // not Linux, or no /proc
        }
    }

    /**
     * The smallest memory limit on the way from this process's cgroup up to the root, read below
     * {@code root}: v2 ({@code 0::/path}, {@code memory.max}) or v1 ({@code N:memory:/path},
     * {@code memory/memory.limit_in_bytes}). A container often mounts the hierarchy's root, not the
     * process's own group, so the group's path from {@code /proc/self/cgroup} is followed, and
     * each ancestor is read because a parent's limit binds its children as well.
     */
    static long cgroup(List<String> procSelfCgroup, Path root) {
        long v1 = 0, v2 = 0;
        for (String line : procSelfCgroup) {
            String[] f = line.split(":", 3);
            if (f.length < 3) continue;
            if (f[0].equals("0") && f[1].isEmpty()) v2 = smallestOnPath(root, f[2], "memory.max");
            else if (Arrays.asList(f[1].split(",")).contains("memory"))
                v1 = smallestOnPath(root.resolve("memory"), f[2], "memory.limit_in_bytes");
        }
        return v1 > 0 && v2 > 0 ? Math.min(v1, v2) : Math.max(v1, v2);
    }

    private static long smallestOnPath(Path mount, String group, String file) {
        long least = 0;
        Path dir = mount;
        List<Path> levels = new ArrayList<>(List.of(dir));
        for (String part : group.split("/")) {
            if (part.isEmpty()) continue;
            dir = dir.resolve(part);
            levels.add(dir);
        }
        for (Path level : levels) {
            long n = limitIn(level.resolve(file));
            if (n > 0 && (least == 0 || n < least)) least = n;
        }
        return least;
    }

    /** A limit file's bytes; 0 for "max", v1's page-rounded Long.MAX_VALUE, or a file that is not there. */
    private static long limitIn(Path f) {
        try {
            String v = Files.readString(f).strip();
            if (v.equals("max")) return 0;
            long n = Long.parseLong(v);
            return n >= (1L << 60) ? 0 : n;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** The limit in force: the option's, the cgroup's, or the machine's memory. */
    public static long of(Long option) {
        if (option != null) return option;
        long cg = cgroup();
        if (cg > 0) return cg;
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    /** The bytes of the model's weight files. */
    public static long modelBytes(Path model) {
        ModelPath mp = ModelPath.of(model);
        try {
            if (mp.isGguf()) {
                long n = 0;
                for (Path p : mp.ggufParts()) n += Files.size(p);
                return n;
            }
            try (Stream<Path> s = Files.list(model)) {
                return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).mapToLong(p -> {
                    try {
                        return Files.size(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).sum();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the size of the model at " + model + ": " + e.getMessage(), e);
        }
    }

    /**
     * The layer sweep's budget when the model does not fit {@code limit} (null: it fits; whole forward
     * calls). The residual streams get a quarter of what the limit leaves beside one layer's weights,
     * and at most a quarter of the heap; the rest stays for the weights being read, the KV of one
     * layer and the logits.
     */
    public static LayerSweep.Budget sweepFor(Path model, long limit, int layers, Path spillDir) {
        long weights = modelBytes(model);
        if (weights <= limit) return null;
        long room = Math.max(0, limit - weights / Math.max(1, layers)) / 4;
        return new LayerSweep.Budget(Math.min(room, Runtime.getRuntime().maxMemory() / 4), spillDir);
    }

    /** "8.0 GiB", "12.3 MiB" */
    public static String describe(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
