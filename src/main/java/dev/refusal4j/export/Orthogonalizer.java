package dev.refusal4j.export;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.ModelWeights;
import dev.refusal4j.model.TensorNames;
import dev.refusal4j.tensor.UnitVector;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bakes directional ablation into the weights (the paper's weight orthogonalization) and writes the
 * result as a Hugging Face model folder that other tools load unchanged: same dtype, same shards,
 * every unmodified tensor byte-identical, every other file copied, config.json edited only where
 * needed. See {@link OrthogonalPlan} for what is changed and {@link OutputFolder} for the safety rules.
 */
public final class Orthogonalizer {
    private Orthogonalizer() {}

    /** What an export did; {@code warnings} are for the user (files copied that may hold weights). */
    public record Result(Path out, int modifiedTensors, int copiedTensors, long bytesWritten, boolean untied, double seconds, List<String> warnings) {}

    /** Weight files this tool rewrites; anything else with these endings is copied and reported as not abliterated. */
    private static final List<String> WEIGHT_ENDINGS = List.of(".safetensors", ".bin", ".pth", ".pt", ".gguf", ".ckpt", ".h5", ".msgpack");

    /** {@link #export(Path, RefusalDirection, Path, Path, boolean, ProgressListener)} of a direction not read from a file. */
    public static Result export(Path modelDir, RefusalDirection direction, Path outDir, boolean force, ProgressListener progress) throws IOException {
        return export(modelDir, direction, null, outDir, force, progress);
    }

    /**
     * @param directionFile where {@code direction} was read, for the model card (which also repeats the rates of a
     *                      metrics.json beside it); null when it was not read from a file
     * @param progress      told the total output bytes once planned, then the bytes written so far (may be null)
     */
    public static Result export(Path modelDir, RefusalDirection direction, Path directionFile, Path outDir, boolean force,
                                ProgressListener progress) throws IOException {
        long t0 = System.nanoTime();
        if (progress == null) progress = ProgressListener.NONE;
        ModelConfig cfg = ModelConfig.load(modelDir);
        if (cfg.dtype == dev.refusal4j.tensor.DType.BF16) warmUpKernels(modelDir);
        float[] r = direction.vector();
        if (r.length != cfg.hidden) {
            throw new IllegalArgumentException("the direction has " + r.length + " values but " + cfg.file + " has hidden_size " + cfg.hidden + " (direction from another model?)");
        }
        double[] unit = UnitVector.exact(r, "the refusal direction");
        TensorNames names = new TensorNames(cfg);
        try (ModelFiles files = ModelFiles.open(modelDir)) {
            new ModelWeights(cfg, files); // every name and shape checked before anything is written
            OrthogonalPlan plan = new OrthogonalPlan(cfg, files, unit);
            String embed = names.embed(), lmHead = names.lmHead();
            boolean untie = cfg.tieEmbeddings;
            Set<String> written = new java.util.HashSet<>(); // top-level names the export writes itself
            for (SafetensorsFile f : files.files()) written.add(f.path.getFileName().toString());
            if (files.shardLayout != null) written.add(ModelFiles.INDEX);
            if (untie) written.add("config.json");
            List<Path> others = filesToCopy(modelDir, written); // every link checked before a byte is written
            Map<Path, FileChannel> inputs = new HashMap<>();
            StreamedTensor.Counter counter = null;
            final StreamedTensor.Counter[] cancel = new StreamedTensor.Counter[1];
            try (OutputFolder folder = OutputFolder.prepare(modelDir, outDir, force, () -> { if (cancel[0] != null) cancel[0].cancelled = true; })) {
                for (SafetensorsFile f : files.files()) inputs.put(f.path, FileChannel.open(f.path, StandardOpenOption.READ));

                // plan every shard first: output sizes are known before a byte is written
                long total = 0;
                Map<SafetensorsFile, List<TensorInfo>> order = new LinkedHashMap<>();
                for (SafetensorsFile f : files.files()) {
                    List<TensorInfo> ts = new ArrayList<>(f.tensors().values());
                    ts.sort(Comparator.comparingLong(TensorInfo::begin));
                    if (untie && ts.stream().anyMatch(t -> t.name().equals(embed)) && !files.has(lmHead)) {
                        TensorInfo e = files.info(embed);
                        ts.add(new TensorInfo(lmHead, e.dtype(), e.shape(), -1, -1, e.file()));
                    }
                    for (TensorInfo t : ts) {
                        TensorInfo src = files.info(untie && t.name().equals(lmHead) ? embed : t.name());
                        total += src.end() - src.begin();
                    }
                    order.put(f, ts);
                }
                progress.total(total);
                counter = new StreamedTensor.Counter(progress);
                cancel[0] = counter;

                int modified = 0, copied = 0;
                Map<String, String> extraIndex = new LinkedHashMap<>();
                for (var e : order.entrySet()) {
                    SafetensorsFile f = e.getKey();
                    List<SafetensorsWriter.Source> sources = new ArrayList<>();
                    int modifiedHere = 0;
                    for (TensorInfo t : e.getValue()) {
                        // the unembedding of a tied model is the original embedding, copied unchanged
                        String from = untie && t.name().equals(lmHead) ? embed : t.name();
                        OrthogonalPlan.Target target = from.equals(t.name()) ? plan.targets.get(from) : null;
                        TensorInfo src = files.info(from);
                        SafetensorsFile sf = files.fileOf(from);
                        sources.add(new StreamedTensor(t.name(), sf.path, src.dtype(), src.shape(), inputs.get(sf.path),
                                sf.dataStart + src.begin(), target, counter));
                        if (target != null) modifiedHere++;
                        else copied++;
                        if (!files.has(t.name())) extraIndex.put(t.name(), f.path.getFileName().toString());
                    }
                    modified += modifiedHere;
                    Path dest = folder.temp.resolve(f.path.getFileName().toString());
                    SafetensorsWriter.write(dest, sources, ExportedMetadata.provenance(f.metadata(), direction, modifiedHere));
                }
                if (modified != plan.targets.size()) throw new IllegalStateException("modified " + modified + " tensors, planned " + plan.targets.size());

                if (files.shardLayout != null) {
                    Files.writeString(folder.temp.resolve(ModelFiles.INDEX), ExportedMetadata.index(modelDir.resolve(ModelFiles.INDEX), total, extraIndex,
                            extraIndex.isEmpty() ? 0 : files.info(embed).elements()));
                }
                if (untie) {
                    Files.writeString(folder.temp.resolve("config.json"), ExportedMetadata.untie(modelDir.resolve("config.json")));
                }
                List<String> warnings = new ArrayList<>();
                for (Path p : folder.removedStale) warnings.add("note: removed " + p + ", left by an earlier export of " + outDir + " that was killed");
                warnings.addAll(copyOthers(modelDir, folder.temp, others));
                Files.writeString(folder.temp.resolve("README.md"), ModelCard.text(modelDir, cfg, direction, directionFile, outDir, modified, untie,
                        others.contains(Path.of("README.md"))));
                ExportVerifier.verify(modelDir, folder.temp, files, untie, unit);
                folder.commit();
                return new Result(folder.target, modified, copied, total, untie, (System.nanoTime() - t0) / 1e9, List.copyOf(warnings));
            } finally {
                for (FileChannel ch : inputs.values()) ch.close();
            }
        }
    }

    /**
     * Compiles the BF16 kernels on a spare core while this thread reads the model and copies the
     * unmodified tensors (which go first, see {@link StreamedTensor#writeOrder}): a run lasts
     * seconds, and the first rows would otherwise go through the uncompiled Vector API, a hundred
     * times slower. The source is config.json mapped like the weights (the JIT specializes on the
     * segment classes; the bytes do not matter), so the thread neither waits for the weights nor
     * holds them, and may outlive the export.
     */
    private static void warmUpKernels(Path modelDir) {
        Path config = modelDir.resolve("config.json");
        Thread.ofPlatform().daemon().name("refusal4j-export-warmup").start(() -> {
            try (FileChannel ch = FileChannel.open(config, StandardOpenOption.READ); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                if (ch.size() < Bf16Rows.WARM_UP_BYTES) return;
                Bf16Rows.warmUp(ch.map(FileChannel.MapMode.READ_ONLY, 0, Bf16Rows.WARM_UP_BYTES, arena),
                        java.lang.foreign.MemorySegment.ofBuffer(java.nio.ByteBuffer.allocateDirect(Bf16Rows.WARM_UP_BYTES)));
            } catch (IOException | RuntimeException e) {
                // only a speed-up: the export itself reports any real problem with the folder
            }
        });
    }

    /**
     * The files an export copies unchanged (tokenizer, template, generation config, ...): every
     * file under the model folder that the export does not write itself, relative to the folder.
     * Nothing outside the folder is read: a symlink to a file is copied as a file only when its
     * target lies inside the model folder, or in the {@code blobs} folder of the same Hugging Face
     * cache repository (the cache's own layout: {@code models--org--name/snapshots/REV/FILE} links
     * to {@code ../../blobs/SHA}). A symlink to a folder, one whose target lies elsewhere, a
     * dangling link, a link loop and anything that is neither a file nor a folder are errors naming
     * the path, raised before the export writes anything.
     */
    static List<Path> filesToCopy(Path in, Set<String> written) throws IOException {
        Path root = in.toRealPath();
        Path parent = root.getParent();
        Path blobs = parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("snapshots") && parent.getParent() != null
                ? parent.getParent().resolve("blobs") : null;
        List<Path> out = new ArrayList<>();
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() { // links are not followed: each is checked below
            @Override
            public java.nio.file.FileVisitResult visitFile(Path p, java.nio.file.attribute.BasicFileAttributes a) throws IOException {
                Path rel = root.relativize(p);
                if (rel.getNameCount() == 1 && written.contains(rel.toString())) return java.nio.file.FileVisitResult.CONTINUE;
                String where = "model folder " + in + ": " + rel;
                if (a.isSymbolicLink()) {
                    Path target;
                    try {
                        target = p.toRealPath();
                    } catch (java.nio.file.NoSuchFileException e) {
                        throw new IllegalArgumentException(where + " is a symlink to " + Files.readSymbolicLink(p) + ", which does not exist; remove the link");
                    } catch (java.nio.file.FileSystemException e) {
                        throw new IllegalArgumentException(where + " is a symlink that cannot be resolved (" + e.getReason() + ", a loop?); remove the link");
                    }
                    if (Files.isDirectory(target)) {
                        throw new IllegalArgumentException(where + " is a symlink to the folder " + target + "; abliterate does not follow folder links "
                                + "(copy the folder in, or remove the link)");
                    }
                    boolean inside = target.startsWith(root) || blobs != null && target.startsWith(blobs);
                    if (!inside) {
                        throw new IllegalArgumentException(where + " is a symlink to " + target + ", outside the model folder; abliterate reads "
                                + "nothing outside it (copy the file in, or remove the link)");
                    }
                    if (!Files.isRegularFile(target)) throw new IllegalArgumentException(where + " links to " + target + ", which is not a regular file");
                } else if (!a.isRegularFile()) {
                    throw new IllegalArgumentException(where + " is not a regular file or folder (a device, pipe or socket); remove it");
                }
                out.add(rel);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /**
     * Copies the files {@link #filesToCopy} chose (a link's target as a file), the source's
     * README.md as README.source.md ({@link ModelCard#keptName}); returns a warning for each that
     * looks like weights.
     */
    static List<String> copyOthers(Path in, Path out, List<Path> files) throws IOException {
        List<String> warnings = new ArrayList<>();
        for (Path rel : files) {
            Path dest = out.resolve(ModelCard.keptName(rel));
            Files.createDirectories(dest.getParent());
            // a new file, not Files.copy: its permissions follow the umask, not the source's mode (often read-only in caches)
            try (FileChannel src = FileChannel.open(in.resolve(rel.toString()), StandardOpenOption.READ);
                 FileChannel dst = FileChannel.open(dest, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (long n = src.size(), done = 0, k; done < n; done += k) {
                    if ((k = src.transferTo(done, n - done, dst)) <= 0) throw new IOException(in.resolve(rel.toString()) + " shrank while it was copied");
                }
            }
            String lower = rel.toString().toLowerCase(java.util.Locale.ROOT);
            if (WEIGHT_ENDINGS.stream().anyMatch(lower::endsWith)) {
                warnings.add("warning: copied " + rel + " unchanged; it is not part of the safetensors weights and is NOT orthogonalized");
            }
        }
        return warnings;
    }
}
