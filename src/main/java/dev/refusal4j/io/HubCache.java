package dev.refusal4j.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A model named by its Hugging Face id ({@code Qwen/Qwen2.5-0.5B-Instruct}, or
 * {@code org/name@REVISION}) found in the local Hugging Face cache, laid out as huggingface_hub
 * writes it: {@code ROOT/models--org--name/refs/main} holds the commit of the main branch, and
 * {@code snapshots/COMMIT/} the files (symlinks into {@code ../../blobs/}). ROOT is
 * {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}. Only the
 * local disk is read: refusal4j never downloads.
 */
public final class HubCache {
    private HubCache() {}

    /** org/name with Hugging Face's characters, then an optional @revision (a branch, tag or commit). */
    private static final Pattern REPO_ID =
            Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9][A-Za-z0-9._/-]*))?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /** Whether {@code text} reads as a Hugging Face model id, with or without {@code @revision}. */
    public static boolean isRepoId(String text) {
        return REPO_ID.matcher(text).matches() && !text.contains("..");
    }

    /** The cache folder this process would use. */
    public static Path root() {
        return root(System.getenv(), System.getProperty("user.home"));
    }

    /** The cache folder for these environment variables; ~ is $HOME, else {@code userHome} (Java's user.home). */
    public static Path root(Map<String, String> env, String userHome) {
        String hub = env.get("HF_HUB_CACHE");
        if (hub != null && !hub.isEmpty()) return Path.of(hub);
        String hfHome = env.get("HF_HOME");
        if (hfHome != null && !hfHome.isEmpty()) return Path.of(hfHome, "hub");
        String home = env.get("HOME"); // what Python's ~ means; Java's user.home comes from the password file
        return Path.of(home != null && !home.isEmpty() ? home : userHome, ".cache", "huggingface", "hub");
    }

    /** The snapshot folder of {@code repoId} in the cache at {@link #root()}; see {@link #find(String, Path)}. */
    public static Path find(String repoId) {
        return find(repoId, root());
    }

    /**
     * The snapshot folder of {@code repoId} ({@code org/name} or {@code org/name@REVISION}) in the
     * cache at {@code root}: the commit that {@code refs/REVISION} names (main by default), or the
     * commit itself when REVISION is a 40-digit hash. Throws IllegalArgumentException saying where
     * it looked when the model or that revision is not there.
     */
    public static Path find(String repoId, Path root) {
        Matcher m = REPO_ID.matcher(repoId);
        if (!m.matches() || repoId.contains("..")) throw new IllegalArgumentException(repoId + " is not a Hugging Face model id (org/name)");
        String revision = m.group(3) == null ? "main" : m.group(3);
        Path repo = root.resolve("models--" + m.group(1) + "--" + m.group(2));
        String never = " refusal4j never downloads: fetch it first (e.g. `hf download " + m.group(1) + "/" + m.group(2)
                + "`) or give the model's folder.";
        if (!Files.isDirectory(repo)) {
            throw new IllegalArgumentException(repoId + " is not a folder, and not in the Hugging Face cache: " + repo
                    + " does not exist (the cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)." + never);
        }
        String commit;
        if (COMMIT.matcher(revision).matches()) {
            commit = revision;
        } else {
            Path ref = repo.resolve("refs").resolve(revision);
            if (!Files.isRegularFile(ref)) {
                throw new IllegalArgumentException(repoId + ": the Hugging Face cache has " + repo + " but no " + ref
                        + " (revisions there: " + String.join(", ", snapshots(repo)) + ")." + never);
            }
            try {
                commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException(ref + ": cannot read: " + e.getMessage(), e);
            }
            if (!COMMIT.matcher(commit).matches()) throw new IllegalArgumentException(ref + ": expected a 40-digit commit hash, got '" + commit + "'");
        }
        Path snapshot = repo.resolve("snapshots").resolve(commit);
        if (!Files.isDirectory(snapshot)) {
            throw new IllegalArgumentException(repoId + ": the Hugging Face cache has no " + snapshot
                    + " (revisions there: " + String.join(", ", snapshots(repo)) + ")." + never);
        }
        return snapshot;
    }

    private static final Pattern GGUF_NAME = Pattern.compile("(?i)(.+?)(?:-\\d{5}-of-\\d{5})?\\.gguf");

    /**
     * The model's own name when {@code dir} is a snapshot folder of this cache layout
     * ({@code .../models--org--name/snapshots/COMMIT} gives "name"), a GGUF file's name without
     * ".gguf" and the split suffix ({@code Qwen-7B-00001-of-00003.gguf} gives "Qwen-7B"), else the
     * folder's name.
     */
    public static String modelName(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Matcher gguf = GGUF_NAME.matcher(abs.getFileName() == null ? "" : abs.getFileName().toString());
        if (gguf.matches() && !Files.isDirectory(abs)) return gguf.group(1);
        Path snapshots = abs.getParent();
        Path repo = snapshots == null ? null : snapshots.getParent();
        if (repo != null && repo.getFileName() != null && snapshots.getFileName().toString().equals("snapshots")) {
            String r = repo.getFileName().toString();
            int sep = r.lastIndexOf("--");
            if (r.startsWith("models--") && sep > "models".length()) return r.substring(sep + 2);
        }
        return abs.getFileName() == null ? abs.toString() : abs.getFileName().toString();
    }

    private static List<String> snapshots(Path repo) {
        try (Stream<Path> s = Files.list(repo.resolve("snapshots"))) {
            List<String> names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
            return names.isEmpty() ? List.of("none") : names;
        } catch (IOException e) {
            return List.of("none");
        }
    }
}
