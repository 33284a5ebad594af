package dev.refusal4j.fuzz;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.fuzz.Mutations.Mutation;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.model.Forward;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A model folder (config.json + model.safetensors, the golden random-weight models) with hostile
 * content: settings of config.json, the safetensors JSON header (rewritten with its true length, so the
 * damage reaches the checks behind the JSON parser), or the file's bytes. Loading gives a model whose
 * forward pass runs, or a {@link ModelFormatException} naming the damaged file.
 */
class ModelFolderFuzzTest {
    static Path dir;
    static final List<String> MODELS = List.of("llama-gqa", "qwen2", "gemma2", "phi3", "qwen1", "llama3-rope-scaling", "qwen3");

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("refusal4j-fuzz-model");
    }

    @AfterContainer
    static void tearDown() throws IOException {
        dev.refusal4j.io.AtomicFiles.deleteRecursively(dir);
    }

    /** Applies JSON damage to the header of a safetensors file and writes it back with the header's new length. */
    record Header(Mutation inner) implements Mutation {
        public byte[] apply(byte[] in) {
            if (in.length < 8) return in;
            long n = ByteBuffer.wrap(in, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n < 0 || n > in.length - 8) return in;
            byte[] header = inner.apply(Arrays.copyOfRange(in, 8, 8 + (int) n));
            ByteBuffer out = ByteBuffer.allocate(8 + header.length + in.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
            out.putLong(header.length).put(header).put(in, 8 + (int) n, in.length - 8 - (int) n);
            return out.array();
        }
    }

    @Provide
    Arbitrary<String> model() {
        return Arbitraries.of(MODELS);
    }

    /**
     * Sets one setting of config.json (a top-level key, or a key of an object such as rope_scaling)
     * to a hostile value. Not num_hidden_layers: a huge layer count is not refused yet (the loader
     * allocates per-layer tables before it finds the layers' tensors missing, an OutOfMemoryError);
     * docs/reliability.md lists it.
     */
    record ConfigValue(double which, String value) implements Mutation {
        static final java.util.Set<String> NOT_YET_REFUSED = java.util.Set.of();

        public byte[] apply(byte[] in) {
            ObjectNode root;
            try {
                if (!(Json.MAPPER.readTree(in) instanceof ObjectNode o)) return in;
                root = o;
            } catch (IOException e) {
                return in; // already damaged by a byte-level mutation
            }
            try {
                List<String[]> paths = new java.util.ArrayList<>();
                root.properties().forEach(e -> {
                    if (!NOT_YET_REFUSED.contains(e.getKey())) paths.add(new String[]{e.getKey()});
                    if (e.getValue().isObject()) e.getValue().properties().forEach(f -> paths.add(new String[]{e.getKey(), f.getKey()}));
                });
                String[] path = paths.get(Math.min(paths.size() - 1, Mutations.at(which, paths.size() - 1)));
                ObjectNode parent = path.length == 1 ? root : (ObjectNode) root.get(path[0]);
                parent.set(path[path.length - 1], Json.MAPPER.readTree(value));
                return Json.MAPPER.writeValueAsBytes(root);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return "ConfigValue[which=" + which + ", value=" + (value.length() > 40 ? value.substring(0, 40) + "...(" + value.length() + " chars)" : value) + "]";
        }
    }

    @Provide
    Arbitrary<List<Mutation>> configDamage() {
        Arbitrary<String> values = Arbitraries.oneOf(Arbitraries.of(Mutations.NASTY_JSON), Arbitraries.of(Mutations.NASTY_NUMBERS));
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, net.jqwik.api.Combinators.combine(Arbitraries.doubles().between(0, 1).ofScale(4), values).as(ConfigValue::new)),
                net.jqwik.api.Tuple.of(1, Mutations.bytes())).list().ofMinSize(1).ofMaxSize(2);
    }

    @Provide
    Arbitrary<List<Mutation>> weightsDamage() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Mutations.jsonValues().map(Header::new)),
                net.jqwik.api.Tuple.of(1, Mutations.bytes())).list().ofMinSize(1).ofMaxSize(2);
    }

    @Property(tries = 150, seed = "1234")
    void hostileConfigLoadsAndRunsOrIsNamed(@ForAll("model") String model, @ForAll("configDamage") List<Mutation> damage) throws IOException {
        check(model, "config.json", damage);
    }

    @Property(tries = 150, seed = "4321")
    void hostileSafetensorsLoadsAndRunsOrIsNamed(@ForAll("model") String model, @ForAll("weightsDamage") List<Mutation> damage) throws IOException {
        check(model, "model.safetensors", damage);
    }

    private static void check(String model, String damaged, List<Mutation> damage) throws IOException {
        Path src = Shared.path("golden", model);
        Path folder = Fuzz.freshDir(dir, "model");
        for (String f : List.of("config.json", "model.safetensors")) {
            byte[] b = Files.readAllBytes(src.resolve(f));
            Files.write(folder.resolve(f), f.equals(damaged) ? Mutations.apply(b, damage) : b);
        }
        // a missing tensor is named with the model folder (with shards, which file should hold it is a guess)
        Hostile.read(List.of(damaged, folder.toString()), () -> {
            try (Transformer m = Transformer.load(folder)) {
                int[] ids = {1, Math.min(5, m.config.vocab - 1), 2};
                float[] logits = m.forward(Forward.of(Arrays.copyOf(ids, Math.min(ids.length, m.config.maxPositions))));
                // weights damaged in their data are any floats; a damaged config must not turn sound weights into NaN
                if (damaged.equals("config.json")) for (float f : logits) if (!Float.isFinite(f)) throw new AssertionError("logits not finite");
                return logits.length;
            }
        }, ModelFormatException.class);
    }
}
