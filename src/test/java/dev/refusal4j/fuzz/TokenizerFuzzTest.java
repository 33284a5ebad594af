package dev.refusal4j.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.refusal4j.fuzz.Mutations.Mutation;
import dev.refusal4j.fuzz.TokenizerSeeds.Seed;
import dev.refusal4j.tokenizer.Tokenizer;
import dev.refusal4j.tokenizer.TokenizerException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Every tokenizer format, damaged in one of its files: tokenizer.json (BPE with byte-level and
 * SentencePiece-style pipelines), vocab.json + merges.txt + tokenizer_config.json, a SentencePiece
 * tokenizer.model, a *.tiktoken file and the vocabulary of GGUF files (llama, gpt2, bert). Loading
 * returns a tokenizer that encodes and decodes without error, with ids inside its vocabulary, or
 * throws {@link TokenizerException} naming the damaged file.
 */
class TokenizerFuzzTest {
    static Path dir;
    static List<Seed> seeds;

    /** Texts every loaded tokenizer must encode: plain, empty, control characters, specials, a long word. */
    static final List<String> TEXTS = List.of("Hello world, how are you?", "", "  two  spaces\n\ttab\r\n", "\u00e9t\u00e9 \u65e5\u672c \ud83d\ude42",
            "<s></s><unk><|im_start|><|im_end|><|endoftext|>[CLS]", "\u0000\u2581\u2581x", "a".repeat(3000), "\ud800 lone surrogate");

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("refusal4j-fuzz-tokenizer");
        seeds = TokenizerSeeds.all();
    }

    @AfterContainer
    static void tearDown() throws IOException {
        dev.refusal4j.io.AtomicFiles.deleteRecursively(dir);
    }

    @Provide
    Arbitrary<Integer> seed() {
        return Arbitraries.integers().between(0, 8);
    }

    @Provide
    Arbitrary<List<Mutation>> damage() {
        return Arbitraries.oneOf(Mutations.json(), Mutations.lines()).list().ofMinSize(1).ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<Mutation>> jsonValues() {
        return Mutations.jsonValues().list().ofMinSize(1).ofMaxSize(2);
    }

    /** The seeds with JSON files, and those that are binary (SentencePiece protobuf, GGUF). */
    @Provide
    Arbitrary<Integer> jsonSeed() {
        return Arbitraries.of(0, 1, 2, 3);
    }

    @Provide
    Arbitrary<Integer> binarySeed() {
        return Arbitraries.of(4, 6, 7, 8);
    }

    @Property(tries = 150, seed = "1729")
    void damagedTokenizerLoadsAndEncodesOrNamesTheFile(@ForAll("seed") int seedIndex, @ForAll @DoubleRange(min = 0, max = 1) double whichFile,
                                                        @ForAll("damage") List<Mutation> damage) throws IOException {
        check(seeds.get(seedIndex), whichFile, damage, name -> true);
    }

    @Property(tries = 200, seed = "4104")
    void hostileJsonValuesLoadOrNameTheFile(@ForAll("jsonSeed") int seedIndex, @ForAll @DoubleRange(min = 0, max = 1) double whichFile,
                                            @ForAll("jsonValues") List<Mutation> damage) throws IOException {
        check(seeds.get(seedIndex), whichFile, damage, name -> name.endsWith(".json"));
    }

    @Property(tries = 150, seed = "65537")
    void hostileBinaryFieldsLoadOrNameTheFile(@ForAll("binarySeed") int seedIndex, @ForAll("binaryFields") List<Mutation> damage) throws IOException {
        check(seeds.get(seedIndex), 0, damage, name -> true);
    }

    @Provide
    Arbitrary<List<Mutation>> binaryFields() {
        return Arbitraries.oneOf(BinaryFields.fields("gguf"), BinaryFields.fields("protobuf")).list().ofMinSize(1).ofMaxSize(2);
    }

    /** Writes the seed with one of its files (of those {@code damageable}) damaged, loads it and uses the tokenizer. */
    private static void check(Seed seed, double whichFile, List<Mutation> damage, java.util.function.Predicate<String> damageable) throws IOException {
        Path folder = Fuzz.freshDir(dir, "model");
        List<String> names = seed.files().keySet().stream().filter(damageable).toList();
        String damaged = names.get(Math.min(names.size() - 1, Mutations.at(whichFile, names.size() - 1)));
        for (Map.Entry<String, byte[]> f : seed.files().entrySet()) {
            Files.write(folder.resolve(f.getKey()), f.getKey().equals(damaged) ? Mutations.apply(f.getValue(), damage) : f.getValue());
        }
        Path target = seed.target().isEmpty() ? folder : folder.resolve(seed.target());
        Hostile.read(folder.resolve(damaged), () -> {
            Tokenizer t = Tokenizer.load(target);
            exercise(t);
            return t;
        }, TokenizerException.class);
    }

    @Property(tries = 20, seed = "1")
    void seedsLoadAndEncode(@ForAll("seed") int seedIndex) throws IOException {
        Seed seed = seeds.get(seedIndex);
        Path folder = Fuzz.freshDir(dir, "model");
        for (Map.Entry<String, byte[]> f : seed.files().entrySet()) Files.write(folder.resolve(f.getKey()), f.getValue());
        Tokenizer t = Tokenizer.load(seed.target().isEmpty() ? folder : folder.resolve(seed.target()));
        exercise(t);
        assertThat(t.encode("Hello world", false)).as(seed.name()).isNotEmpty();
    }

    /** Encodes and decodes {@link #TEXTS}: every id lies in the vocabulary and has a piece. */
    static void exercise(Tokenizer t) {
        int vocab = t.vocabSize();
        if (vocab <= 0) throw new AssertionError("vocabulary size " + vocab);
        for (String text : TEXTS) {
            for (boolean special : new boolean[]{false, true}) {
                int[] ids = t.encode(text, special);
                for (int id : ids) {
                    if (id < 0 || id >= vocab) throw new AssertionError("id " + id + " outside the vocabulary of " + vocab + " for " + text);
                    t.piece(id);
                }
                t.decode(ids, false);
                t.decode(ids, true);
                var stream = t.streamingDecoder();
                for (int id : ids) stream.next(id);
                stream.flush();
            }
        }
        t.bosId().ifPresent(id -> assertInside(id, vocab, "BOS"));
        t.eosId().ifPresent(id -> assertInside(id, vocab, "EOS"));
    }

    private static void assertInside(int id, int vocab, String what) {
        if (id < 0 || id >= vocab) throw new AssertionError(what + " id " + id + " outside the vocabulary of " + vocab);
    }
}
