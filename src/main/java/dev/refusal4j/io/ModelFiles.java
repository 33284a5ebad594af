package dev.refusal4j.io;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The weights of a model directory: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} names. All files are mapped read-only into one shared
 * arena that lives until {@link #close()}; tensors are used in place, never copied.
 */
public final class ModelFiles implements TensorSource {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    public final Path dir;
    private final Arena arena = Arena.ofShared();
    private final List<SafetensorsFile> files = new ArrayList<>();
    private final Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
    /** Shard file name -> tensor names, in index order (null for a single file). */
    public final Map<String, List<String>> shardLayout;

    private ModelFiles(Path dir, Map<String, List<String>> shardLayout) {
        this.dir = dir;
        this.shardLayout = shardLayout;
    }

    public static ModelFiles open(Path dir) throws IOException {
        if (ModelPath.of(dir).isGguf()) {
            throw new ModelFormatException(dir, "a GGUF model: this needs the model's Hugging Face folder (config.json and safetensors),"
                    + " whose tensors it reads and writes as they are stored");
        }
        Path index = dir.resolve(INDEX), single = dir.resolve(SINGLE);
        if (Files.isRegularFile(index)) return openSharded(dir, index);
        if (Files.isRegularFile(single)) {
            ModelFiles mf = new ModelFiles(dir, null);
            try {
                mf.add(SafetensorsFile.open(single, mf.arena));
            } catch (RuntimeException | IOException e) {
                mf.close();
                throw e;
            }
            return mf;
        }
        throw new ModelFormatException(dir, "no " + SINGLE + " or " + INDEX + " in the model directory");
    }

    private static ModelFiles openSharded(Path dir, Path index) throws IOException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(index.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(index, "not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        JsonNode wm = root == null ? null : root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new ModelFormatException(index, "missing 'weight_map' object");
        Map<String, List<String>> layout = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) throw new ModelFormatException(index, "weight_map['" + e.getKey() + "'] is not a file name");
            String shard = e.getValue().asText();
            if (shard.contains("/") || shard.contains("\\") || shard.startsWith("..")) {
                throw new ModelFormatException(index, "weight_map['" + e.getKey() + "'] names '" + shard + "', outside the model directory");
            }
            layout.computeIfAbsent(shard, k -> new ArrayList<>()).add(e.getKey());
        }
        ModelFiles mf = new ModelFiles(dir, Collections.unmodifiableMap(layout));
        try {
            for (var e : layout.entrySet()) {
                Path shard = dir.resolve(e.getKey());
                if (!Files.isRegularFile(shard)) throw new ModelFormatException(index, "names shard '" + e.getKey() + "' which is missing from " + dir);
                SafetensorsFile sf = SafetensorsFile.open(shard, mf.arena);
                for (String t : e.getValue()) {
                    if (!sf.tensors().containsKey(t)) throw new ModelFormatException(index, "says tensor '" + t + "' is in " + e.getKey() + ", but that shard does not hold it");
                }
                for (String t : sf.tensors().keySet()) {
                    if (!e.getKey().equals(wm.path(t).asText(null))) throw new ModelFormatException(shard, "holds tensor '" + t + "' that the index does not map to this shard");
                }
                mf.add(sf);
            }
        } catch (RuntimeException | IOException e) {
            mf.close();
            throw e;
        }
        return mf;
    }

    private void add(SafetensorsFile f) {
        files.add(f);
        for (String name : f.tensors().keySet()) {
            SafetensorsFile prev = byTensor.put(name, f);
            if (prev != null) throw new ModelFormatException(f.path, "tensor '" + name + "' also appears in " + prev.path);
        }
    }

    public List<SafetensorsFile> files() {
        return Collections.unmodifiableList(files);
    }

    @Override
    public Path path() {
        return dir;
    }

    /** Tensor names in sorted order. */
    @Override
    public Iterable<String> names() {
        return new TreeMap<>(byTensor).keySet();
    }

    @Override
    public boolean has(String name) {
        return byTensor.containsKey(name);
    }

    public TensorInfo info(String name) {
        SafetensorsFile f = byTensor.get(name);
        if (f == null) throw new ModelFormatException(dir, "tensor '" + name + "' is missing from the weights");
        return f.tensors().get(name);
    }

    public SafetensorsFile fileOf(String name) {
        info(name);
        return byTensor.get(name);
    }

    public MemorySegment segment(String name) {
        return fileOf(name).segment(info(name));
    }

    /**
     * The tensor as a [rows, cols] matrix, checking that its shape is exactly {@code expected}
     * (a 1-D tensor is one row) and its dtype one the kernels read.
     */
    @Override
    public Matrix matrix(String name, long... expected) {
        TensorInfo t = info(name);
        if (!java.util.Arrays.equals(t.shape(), expected)) {
            throw new ModelFormatException(t.file(), "tensor '" + name + "' has shape " + t.shapeString()
                    + " but config.json implies " + java.util.Arrays.toString(expected));
        }
        DType dt = DType.fromSafetensors(t.dtype());
        if (dt == null) throw new ModelFormatException(t.file(), "tensor '" + name + "' has dtype " + t.dtype() + "; supported: F32, BF16, F16");
        int rows = expected.length == 1 ? 1 : Math.toIntExact(expected[0]);
        int cols = Math.toIntExact(expected[expected.length - 1]);
        return new Matrix(segment(name), dt, rows, cols);
    }

    /** A small tensor (norm weight, bias) widened to F32 on the heap. */
    @Override
    public float[] floats(String name, long... expected) {
        return matrix(name, expected).toFloats();
    }

    @Override
    public ModelFormatException unexpected(String name, String context) {
        TensorInfo t = info(name);
        return new ModelFormatException(t.file(), "unexpected tensor '" + name + "' " + t.dtype() + t.shapeString() + " " + context
                + " (wrong architecture in config.json?)");
    }

    @Override
    public void requireFinite() {
        WeightValidator.requireFinite(this);
    }

    @Override
    public void close() {
        arena.close();
    }
}
