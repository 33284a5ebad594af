package dev.refusal4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Writes a Hugging Face hub cache entry the way huggingface_hub does: each file's content once in
 * {@code blobs/SHA256}, the snapshot's files as relative symlinks {@code ../../blobs/SHA256}, and
 * {@code refs/main} holding the commit.
 */
public final class FakeHubCache {
    private FakeHubCache() {}

    /** Adds snapshot {@code commit} of {@code repoId} with these files (name -> text); {@code main}: refs/main names it. */
    public static Path add(Path root, String repoId, String commit, Map<String, String> files, boolean main) throws IOException {
        Map<String, byte[]> bytes = new java.util.LinkedHashMap<>();
        files.forEach((k, v) -> bytes.put(k, v.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return addBytes(root, repoId, commit, bytes, main);
    }

    /** Adds snapshot {@code commit} holding copies of the files of {@code folder} (not its sub-folders). */
    public static Path addFolder(Path root, String repoId, String commit, Path folder) throws IOException {
        Map<String, byte[]> bytes = new java.util.LinkedHashMap<>();
        try (var s = Files.list(folder)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) bytes.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
        return addBytes(root, repoId, commit, bytes, true);
    }

    private static Path addBytes(Path root, String repoId, String commit, Map<String, byte[]> files, boolean main) throws IOException {
        Path repo = root.resolve("models--" + repoId.replace("/", "--"));
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snap = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            String sha = sha256(f.getValue());
            Path blob = blobs.resolve(sha);
            if (!Files.exists(blob)) Files.write(blob, f.getValue());
            Files.createSymbolicLink(snap.resolve(f.getKey()), Path.of("..", "..", "blobs", sha));
        }
        if (main) Files.writeString(Files.createDirectories(repo.resolve("refs")).resolve("main"), commit);
        return snap;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
