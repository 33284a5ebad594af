package dev.refusal4j.export;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The export never writes its input, refuses dangerous outputs, and leaves nothing behind on failure. */
class OrthogonalizerSafetyTest {
    @TempDir
    Path tmp;
    Path in;
    RefusalDirection dir;
    Map<String, String> before;

    @BeforeEach
    void copyInput() throws IOException {
        in = tmp.resolve("model");
        Files.createDirectories(in);
        Path src = Shared.path("golden", "qwen3");
        try (var s = Files.list(src)) {
            for (Path p : s.toList()) Files.copy(p, in.resolve(p.getFileName().toString()));
        }
        dir = ExportChecks.randomDirection(ModelConfig.load(in).hidden, 5);
        before = ExportChecks.snapshot(in);
    }

    private void assertNothingLeftAndInputUnchanged(Path parent) throws IOException {
        try (var s = Files.list(parent)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList()).as("temporary folders in " + parent).isEmpty();
        }
        assertThat(ExportChecks.snapshot(in)).as("input bytes and mtimes").isEqualTo(before);
    }

    @Test
    void refusesTheInputItselfAFolderInsideItAndAFolderContainingIt() throws IOException {
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, in, true, null)).hasMessageContaining("is the input model folder");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, in.resolve("sub/out"), true, null)).hasMessageContaining("inside the input model folder");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, tmp, true, null)).hasMessageContaining("contains the input model folder");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), in);
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, link, true, null)).hasMessageContaining("is the input model folder");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, tmp.resolve("x/../model"), true, null)).hasMessageContaining("is the input model folder");
        assertThat(in.resolve("sub")).doesNotExist();
        assertNothingLeftAndInputUnchanged(tmp);
        assertNothingLeftAndInputUnchanged(in);
    }

    @Test
    void refusesANonEmptyOutputUnlessForced() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "precious");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, null)).hasMessageContaining("not empty").hasMessageContaining("--force");
        assertThat(out.resolve("keep.txt")).hasContent("precious");
        Orthogonalizer.export(in, dir, out, true, null);
        assertThat(out.resolve("keep.txt")).doesNotExist();
        assertThat(out.resolve("model.safetensors")).exists();
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Orthogonalizer.export(in, dir, empty, false, null); // an empty folder needs no --force
        assertThat(empty.resolve("config.json")).exists();
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, file, true, null)).hasMessageContaining("is not a folder");
        assertNothingLeftAndInputUnchanged(tmp);
    }

    @Test
    void anErrorHalfwayLeavesNoOutputAndKeepsAReplacedOne() throws IOException {
        ProgressListener failing = new ProgressListener() {
            private long total;

            @Override
            public void total(long total) {
                this.total = total;
            }

            @Override
            public void done(long done) {
                if (done > total / 2) throw new IllegalStateException("disk full (simulated) at byte " + done);
            }
        };
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, failing)).hasMessageContaining("simulated");
        assertThat(out).doesNotExist();
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, tmp.resolve("new/deeper/out"), false, failing)).hasMessageContaining("simulated");
        assertThat(tmp.resolve("new")).as("parent folders created for the output are removed again").doesNotExist();
        assertNothingLeftAndInputUnchanged(tmp);

        Files.createDirectories(out);
        Files.writeString(out.resolve("old.txt"), "previous export");
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, true, failing)).hasMessageContaining("simulated");
        try (var s = Files.list(out)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("old.txt");
        }
        assertNothingLeftAndInputUnchanged(tmp);
    }

    @Test
    void refusesADirectionOfAnotherWidth() throws IOException {
        RefusalDirection wrong = ExportChecks.randomDirection(65, 1);
        assertThatThrownBy(() -> Orthogonalizer.export(in, wrong, tmp.resolve("out"), false, null))
                .hasMessageContaining("65 values").hasMessageContaining("hidden_size 64");
        RefusalDirection zero = new RefusalDirection(new float[64], 1, -1, Map.of());
        assertThatThrownBy(() -> Orthogonalizer.export(in, zero, tmp.resolve("out"), false, null)).hasMessageContaining("zero");
        assertThat(tmp.resolve("out")).doesNotExist();
        assertNothingLeftAndInputUnchanged(tmp);
    }

    /**
     * Nothing outside the model folder is read: a folder link used to be followed and what it
     * pointed at copied into the output, and a link loop gave a raw FileSystemLoopException.
     */
    @Test
    void refusesLinksThatLeaveTheModelFolderAndCopiesLinksInsideItAsFiles() throws IOException {
        Path secret = Files.createDirectories(tmp.resolve("secret"));
        Files.writeString(secret.resolve("key.txt"), "private");
        Path out = tmp.resolve("out");
        Path folderLink = Files.createSymbolicLink(in.resolve("extra"), secret);
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("extra").hasMessageContaining("symlink to the folder " + secret.toRealPath());
        Files.delete(folderLink);
        Path fileLink = Files.createSymbolicLink(in.resolve("notes.txt"), secret.resolve("key.txt"));
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, null))
                .hasMessageContaining("notes.txt").hasMessageContaining("outside the model folder");
        Files.delete(fileLink);
        Files.createSymbolicLink(in.resolve("a"), in.resolve("b"));
        Files.createSymbolicLink(in.resolve("b"), in.resolve("a"));
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageMatching(".*: [ab] is a symlink that cannot be resolved.*");
        Files.delete(in.resolve("a"));
        Files.delete(in.resolve("b"));
        Path dangling = Files.createSymbolicLink(in.resolve("gone.json"), in.resolve("nowhere.json"));
        assertThatThrownBy(() -> Orthogonalizer.export(in, dir, out, false, null)).hasMessageContaining("gone.json").hasMessageContaining("does not exist");
        Files.delete(dangling);
        assertThat(out).doesNotExist();
        assertNothingLeftAndInputUnchanged(tmp);

        Files.createSymbolicLink(in.resolve("ids-link.json"), in.resolve("ids.json"));
        Orthogonalizer.export(in, dir, out, false, null);
        assertThat(Files.isSymbolicLink(out.resolve("ids-link.json"))).as("copied as a file").isFalse();
        assertThat(out.resolve("ids-link.json")).hasSameBinaryContentAs(in.resolve("ids.json"));
        assertThat(out.resolve("key.txt")).doesNotExist();
    }

    /** The Hugging Face cache: snapshots/REV/FILE are links to ../../blobs/SHA, outside the snapshot folder but the cache's own layout. */
    @Test
    void exportsAHuggingFaceCacheSnapshot() throws IOException {
        Path repo = tmp.resolve("hub/models--org--tiny");
        Path blobs = Files.createDirectories(repo.resolve("blobs")), snap = Files.createDirectories(repo.resolve("snapshots/0123abc"));
        try (var s = Files.list(in)) {
            for (Path p : s.toList()) {
                Path blob = blobs.resolve("sha-" + p.getFileName());
                Files.copy(p, blob);
                Files.createSymbolicLink(snap.resolve(p.getFileName().toString()), Path.of("../../blobs").resolve(blob.getFileName().toString()));
            }
        }
        Path out = tmp.resolve("out");
        Orthogonalizer.export(snap, dir, out, false, null);
        assertThat(Files.isSymbolicLink(out.resolve("ids.json"))).isFalse();
        assertThat(out.resolve("ids.json")).hasSameBinaryContentAs(in.resolve("ids.json"));
    }

    /**
     * A SIGKILLed export leaves its partial folder and lock file, with the lock released by the OS:
     * the next export of the same target removes it (they used to pile up, hidden, forever), but
     * not a partial folder whose export still holds its lock, not a lock-less one younger than an
     * hour, and not the partial folders of another target.
     */
    @Test
    void theNextExportRemovesThePartialFoldersOfKilledExportsOfTheSameTarget() throws IOException {
        Path out = tmp.resolve("out");
        Path killed = Files.createDirectories(tmp.resolve(".out.partial-killed1"));
        Files.writeString(killed.resolve("model.safetensors"), "half");
        Files.createFile(tmp.resolve(".out.partial-killed1.lock"));
        Path oldVersion = Files.createDirectories(tmp.resolve(".out.partial-123456789"));
        Files.setLastModifiedTime(oldVersion, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(java.time.Duration.ofHours(2))));
        Path young = Files.createDirectories(tmp.resolve(".out.partial-young"));
        Path running = Files.createDirectories(tmp.resolve(".out.partial-running"));
        Path other = Files.createDirectories(tmp.resolve(".other.partial-killed"));
        Files.createFile(tmp.resolve(".other.partial-killed.lock"));
        try (var ch = java.nio.channels.FileChannel.open(tmp.resolve(".out.partial-running.lock"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); var lock = ch.lock()) {
            Orthogonalizer.Result r = Orthogonalizer.export(in, dir, out, false, null);
            assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains(killed.toString()).contains("killed"));
        }
        assertThat(killed).doesNotExist();
        assertThat(tmp.resolve(".out.partial-killed1.lock")).doesNotExist();
        assertThat(oldVersion).doesNotExist();
        assertThat(young).exists();
        assertThat(running).exists();
        assertThat(other).exists();
        assertThat(out.resolve("model.safetensors")).exists();
        try (var s = Files.list(tmp)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList())
                    .containsExactly(".other.partial-killed", ".other.partial-killed.lock", ".out.partial-running", ".out.partial-running.lock", ".out.partial-young");
        }
    }

    /** SIGTERM (as Ctrl-C) while the export is writing: the shutdown hook removes the partial folder. */
    @Test
    void aKilledExportLeavesNothingBehind() throws Exception {
        Path cfg = tmp.resolve("big.json");
        Files.writeString(cfg, """
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1024, "intermediate_size": 2048,
                 "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 8, "vocab_size": 60000,
                 "rms_norm_eps": 1e-5, "tie_word_embeddings": false, "torch_dtype": "float32"}""");
        Path big = tmp.resolve("big");
        dev.refusal4j.model.RandomModel.write(cfg, big, dev.refusal4j.tensor.DType.F32, 3);
        Path dirFile = tmp.resolve("d.safetensors");
        ExportChecks.randomDirection(1024, 9).write(dirFile);
        Map<String, String> bigBefore = ExportChecks.snapshot(big);
        Path out = tmp.resolve("bigout");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "dev.refusal4j.cli.Main", "abliterate",
                "--model", big.toString(), "--direction", dirFile.toString(), "--out", out.toString(), "--quiet")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("log.txt").toFile()).start();
        boolean sawPartial = false;
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (p.isAlive() && System.nanoTime() < deadline) {
            List<Path> partial;
            try (var s = Files.list(tmp)) {
                partial = s.filter(x -> x.getFileName().toString().startsWith(".bigout.partial-") && Files.isDirectory(x)).toList();
            }
            if (!partial.isEmpty() && hasFiles(partial.get(0))) {
                sawPartial = true;
                p.destroy(); // SIGTERM: runs the shutdown hooks, as Ctrl-C does
                break;
            }
            Thread.sleep(5);
        }
        int rc = p.waitFor();
        assertThat(sawPartial).as("caught the export while it was writing (log: " + Files.readString(tmp.resolve("log.txt")) + ")").isTrue();
        assertThat(rc).as("killed, not finished").isNotZero();
        assertThat(out).doesNotExist();
        try (var s = Files.list(tmp)) {
            assertThat(s.map(x -> x.getFileName().toString()).filter(n -> n.startsWith(".")).toList()).isEmpty();
        }
        assertThat(ExportChecks.snapshot(big)).isEqualTo(bigBefore);
    }

    private static boolean hasFiles(Path dir) {
        try (var s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            return false;
        }
    }
}
