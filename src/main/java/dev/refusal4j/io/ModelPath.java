package dev.refusal4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a model path names, for every loader (weights, config, tokenizer, chat template): a
 * Hugging Face folder, or a GGUF model — a {@code .gguf} file, or a folder without config.json that
 * holds exactly one GGUF model (as a Hugging Face cache snapshot of a GGUF repository does). A GGUF
 * model split by llama.cpp's gguf-split is the set {@code NAME-00001-of-0000N.gguf} ...
 * {@code NAME-0000N-of-0000N.gguf}: naming any part opens them all, the first (which holds the
 * metadata) first. Multimodal projector files ({@code mmproj*.gguf}) are not models.
 *
 * @param path       the path as given
 * @param ggufParts  the GGUF files in order, empty for a Hugging Face folder
 */
public record ModelPath(Path path, List<Path> ggufParts) {
    private static final Pattern SPLIT = Pattern.compile("(.+)-(\\d{5})-of-(\\d{5})\\.gguf", Pattern.CASE_INSENSITIVE);

    public ModelPath {
        ggufParts = List.copyOf(ggufParts);
    }

    public static ModelPath of(Path given) {
        if (Files.isRegularFile(given) && isGgufName(given)) return new ModelPath(given, parts(given));
        if (Files.isDirectory(given) && !Files.isRegularFile(given.resolve("config.json"))) {
            List<Path> models = ggufModels(given);
            if (models.size() == 1) return new ModelPath(given, parts(models.getFirst()));
            if (models.size() > 1) {
                List<String> names = models.stream().map(p -> p.getFileName().toString()).toList();
                throw new ModelFormatException(given, "no config.json, and " + models.size() + " GGUF models (" + String.join(", ", names)
                        + "): give one as " + given.resolve(names.getFirst()));
            }
        }
        return new ModelPath(given, List.of());
    }

    public boolean isGguf() {
        return !ggufParts.isEmpty();
    }

    /** The GGUF file that holds the metadata (the first part of a split model); null for a folder. */
    public Path ggufFile() {
        return isGguf() ? ggufParts.getFirst() : null;
    }

    private static boolean isGgufName(Path p) {
        return p.getFileName() != null && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf");
    }

    /** One file of each GGUF model in the folder: single files, and the first part of each split set. */
    private static List<Path> ggufModels(Path dir) {
        TreeMap<String, Path> models = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String n = f.getFileName().toString();
                if (!isGgufName(f) || n.toLowerCase(Locale.ROOT).startsWith("mmproj") || !Files.isRegularFile(f)) continue;
                Matcher m = SPLIT.matcher(n);
                String key = m.matches() ? m.group(1) + "-of-" + m.group(3) : n;
                models.putIfAbsent(key, m.matches() ? f.resolveSibling(partName(m.group(1), 1, m.group(3))) : f);
            }
        } catch (IOException e) {
            throw new ModelFormatException(dir, "cannot list folder: " + e.getMessage());
        }
        return new ArrayList<>(models.values());
    }

    private static String partName(String prefix, int index, String count) {
        return String.format(Locale.ROOT, "%s-%05d-of-%s.gguf", prefix, index, count);
    }

    /** The file itself, or every part of its split set, each of which must exist. */
    private static List<Path> parts(Path file) {
        Matcher m = SPLIT.matcher(file.getFileName().toString());
        if (!m.matches()) return List.of(file);
        int index = Integer.parseInt(m.group(2)), count = Integer.parseInt(m.group(3));
        if (count < 1 || index < 1 || index > count) {
            throw new ModelFormatException(file, "a split GGUF name says part " + index + " of " + count + ", which is no part (parts are numbered 1 to the count)");
        }
        List<Path> parts = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            Path p = file.resolveSibling(partName(m.group(1), i, m.group(3)));
            if (!Files.isRegularFile(p)) {
                throw new ModelFormatException(p, "missing: part " + i + " of the " + count + " files of the split GGUF model "
                        + partName(m.group(1), 1, m.group(3)) + ", which are opened together");
            }
            parts.add(p);
        }
        return parts;
    }
}
