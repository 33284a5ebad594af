package dev.refusal4j.export;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.intervene.PartialAblation;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.io.gguf.GgufArchitecture;
import dev.refusal4j.io.gguf.GgufWriter;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.tensor.DType;
import dev.refusal4j.tensor.Matrix;
import dev.refusal4j.tensor.quant.GgmlType;
import dev.refusal4j.tokenizer.GgufPreName;
import dev.refusal4j.tokenizer.SentencePieceVocab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face folder written as llama.cpp's convert_hf_to_gguf.py writes it: its metadata keys
 * per architecture, gguf-py's tensor names ({@link GgufArchitecture}), llama's q/k row permutation
 * ({@code LlamaModel.permute}), Gemma's norms stored as 1 + w and its lm_head dropped, llama3 rope
 * scaling as rope_freqs.weight factors; 1-D tensors F32, matrices in the type asked for (as
 * stored when none), quantized by ggml's reference quantizers (a matrix whose rows are not whole
 * blocks of the type is F16, as the converter falls back); a SentencePiece tokenizer.model as a
 * "llama" vocabulary, else a byte-level BPE tokenizer.json of a family llama.cpp names
 * ({@link GgufPreName}) as a "gpt2" vocabulary with its merges; special token ids and chat template. A split writes gguf-split's parts, metadata in the first. Tensors
 * are converted one at a time as the file is written. With {@link #edit} a partial ablation is
 * baked into the output projections on the way (how {@code optimize --export} writes a GGUF).
 *
 * <p>Gemma-2's {@code query_pre_attn_scalar} has no GGUF key and llama.cpp scales queries by
 * head_dim^-0.5 (hidden/heads for the 46-layer 27B), which is what the released models say; a
 * model whose scalar differs gets q_proj multiplied by sqrt(llama.cpp's / its own), so llama.cpp
 * computes what it computes.
 */
public final class GgufConverter {
    private final Path dir;
    private final JsonNode c;
    private final ModelConfig cfg;
    private final GgufArchitecture arch;
    private GgmlType type;
    private int splits = 1;
    private final double qScale;
    private final List<String> notes = new ArrayList<>();
    private PartialAblation edit;
    private String editDescription;

    private GgufConverter(Path dir) throws IOException {
        this.dir = dir;
        this.cfg = ModelConfig.load(dir); // every architecture the engine runs, and the errors for the rest
        this.c = Json.MAPPER.readTree(dir.resolve("config.json").toFile());
        GgufArchitecture a = GgufArchitecture.ofHf(cfg.architecture.isEmpty() ? "" : cfg.architecture);
        if (a == null) a = GgufArchitecture.of(cfg.modelType.equals("mistral") ? "llama" : cfg.modelType);
        if (a == null) throw new ModelFormatException(cfg.file, "architecture '" + cfg.architecture + "' has no llama.cpp conversion in refusal4j");
        this.arch = a;
        if (!cfg.rope.type().equals("default") && !cfg.rope.type().equals("llama3")) {
            throw new ModelFormatException(cfg.file, "rope scaling '" + cfg.rope.type() + "' cannot be converted (llama3 scaling can)");
        }
        if (cfg.rope.dims() != cfg.headDim && arch.permutesQk) throw new ModelFormatException(cfg.file, "llama with partial rotary embedding cannot be converted");
        double scale = 1;
        if (c.has("query_pre_attn_scalar")) {
            double llamaCpp = cfg.layers == 46 ? (double) cfg.hidden / cfg.heads : cfg.headDim;
            scale = Math.sqrt(llamaCpp / c.get("query_pre_attn_scalar").asDouble());
        }
        this.qScale = scale;
    }

    /** A converter for the folder; its config is checked here. */
    public static GgufConverter of(Path hfDir) throws IOException {
        return new GgufConverter(hfDir);
    }

    /** The type of the matrices (null: as stored, F32 or BF16 or F16). */
    public GgufConverter type(GgmlType t) {
        if (t != null && !t.quantizable()) throw new IllegalArgumentException("--outtype " + t.ggmlName + " cannot be written (" + GgmlType.dequantizableNames() + ")");
        this.type = t;
        return this;
    }

    /** Writes gguf-split's NAME-0000i-of-0000N.gguf parts. */
    public GgufConverter split(int parts) {
        if (parts < 1) throw new IllegalArgumentException("--split " + parts + ": at least 1 part");
        this.splits = parts;
        return this;
    }

    /**
     * Bakes {@code edit} into the attention and MLP output projections (and their biases) as the
     * folder export does ({@link PartialExport}): the tensors {@link EditedWeights} edits, edited in
     * float64 and written from float32 in the GGUF type; {@code description} goes to the metadata.
     */
    public GgufConverter edit(PartialAblation e, String description) {
        this.edit = e;
        this.editDescription = description;
        return this;
    }

    /** What the conversion left out or changed, for the user. */
    public List<String> notes() {
        return List.copyOf(notes);
    }

    /** llama.cpp's name of the architecture written. */
    public String architecture() {
        return arch.ggufName;
    }

    private record Planned(String name, GgmlType type, long[] ne, GgufWriter.Data data) {}

    /** Writes the GGUF (or its parts: the first is returned) to {@code out}, each file whole or not at all. */
    public Path write(Path out) throws IOException {
        String a = arch.ggufName;
        try (ModelFiles files = ModelFiles.open(dir)) {
            Map<String, EditedWeights.Edited> edits = edit == null ? Map.of() : EditedWeights.edits(cfg, files, edit);
            List<Planned> tensors = new ArrayList<>();
            for (String name : files.names()) {
                if (name.endsWith("rotary_emb.inv_freq")) continue;
                if (arch.normsPlusOne && name.equals("lm_head.weight")) continue; // Gemma unembeds with token_embd
                String gguf = arch.ggufName(name);
                if (gguf == null) throw new ModelFormatException(files.fileOf(name).path, "tensor '" + name + "' has no GGUF name for " + a);
                TensorInfo t = files.info(name);
                long[] shape = t.shape();
                long[] ne = new long[shape.length];
                for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
                DType dt = DType.fromSafetensors(t.dtype());
                if (dt == null) throw new ModelFormatException(files.fileOf(name).path, "tensor '" + name + "' is " + t.dtype() + "; convert reads F32, BF16, F16");
                GgmlType gt;
                if (shape.length <= 1) gt = GgmlType.F32;
                else {
                    gt = type != null ? type : dt == DType.BF16 ? GgmlType.BF16 : dt == DType.F16 ? GgmlType.F16 : GgmlType.F32;
                    if (shape[shape.length - 1] % gt.blockElements != 0) {
                        notes.add("note: " + gguf + " has rows of " + shape[shape.length - 1] + ", not whole " + gt.ggmlName + " blocks; written as f16");
                        gt = GgmlType.F16;
                    }
                }
                GgmlType to = gt;
                EditedWeights.Edited edited = edits.get(name);
                tensors.add(new Planned(gguf, gt, ne, o -> writeTensor(files, name, edited, to, o)));
            }
            if (arch.permutesQk && cfg.rope.type().equals("llama3")) {
                float[] f = llama3Factors();
                tensors.add(new Planned("rope_freqs.weight", GgmlType.F32, new long[] {f.length}, o -> put(o, f)));
            }
            List<GgufWriter> parts = new ArrayList<>();
            for (int i = 0; i < splits; i++) parts.add(new GgufWriter());
            metadata(parts.getFirst(), a);
            if (edit != null) {
                parts.getFirst().putString("refusal4j.tool", "refusal4j " + dev.refusal4j.Version.VERSION).putString("refusal4j.edit", editDescription)
                        .putString("refusal4j.modified_tensors", Integer.toString(edits.size()));
            }
            int i = 0, perPart = (tensors.size() + splits - 1) / splits;
            for (Planned t : tensors) parts.get(Math.min(i++ / perPart, splits - 1)).addTensor(t.name, t.type, t.ne, t.data);
            if (splits == 1) {
                parts.getFirst().write(out);
                return out;
            }
            String base = out.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
            Path first = null;
            for (int p = 0; p < splits; p++) {
                parts.get(p).putUInt16("split.no", p).putUInt16("split.count", splits).putInt32("split.tensors.count", tensors.size());
                Path file = out.resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", base, p + 1, splits));
                parts.get(p).write(file);
                if (first == null) first = file;
            }
            return first;
        }
    }

    /** Rows of floats converted and written together (about this many bytes of floats). */
    private static final int CHUNK_BYTES = 4 << 20;

    /**
     * One tensor as the converter changes it (permuted, scaled, 1 + w), in its GGUF type, a chunk
     * of rows at a time (rows quantized in parallel), so no tensor is held whole — except one the
     * edit changes ({@code edited} not null), which is edited whole in memory first.
     */
    private void writeTensor(ModelFiles files, String name, EditedWeights.Edited edited, GgmlType gt, java.nio.channels.FileChannel out) throws IOException {
        if (edited != null) {
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) { // shared: rows are converted in parallel
                writeTensor(files, name, edited.f32(files, edit, arena), DType.F32, gt, out);
            }
        } else {
            TensorInfo t = files.info(name);
            writeTensor(files, name, files.segment(name), DType.fromSafetensors(t.dtype()), gt, out);
        }
    }

    /** {@code src}: the tensor's values as stored, of type {@code dt}. */
    private void writeTensor(ModelFiles files, String name, java.lang.foreign.MemorySegment src, DType dt, GgmlType gt, java.nio.channels.FileChannel out) throws IOException {
        TensorInfo t = files.info(name);
        long[] shape = t.shape();
        int cols = (int) shape[shape.length - 1], rows = (int) (t.elements() / cols);
        boolean q = name.contains(".q_proj."), k = name.contains(".k_proj.");
        int[] from = arch.permutesQk && (q || k) ? permutation(rows, q ? cfg.heads : cfg.kvHeads) : null;
        boolean scaled = qScale != 1 && name.contains(".q_proj.weight");
        boolean plusOne = arch.normsPlusOne && name.endsWith("norm.weight");
        if (gt == GgmlType.BF16 && dt == DType.BF16 && !scaled && !plusOne) { // the stored bytes, rows permuted
            long rowBytes = 2L * cols;
            ByteBuffer row = ByteBuffer.allocate((int) rowBytes);
            for (int r = 0; r < rows; r++) {
                row.clear().put(src.asSlice((from == null ? r : from[r]) * rowBytes, rowBytes).asByteBuffer()).flip();
                while (row.hasRemaining()) out.write(row);
            }
            return;
        }
        Matrix m = new Matrix(src, dt, rows, cols);
        int rowBytes = (int) gt.bytes(cols), chunk = Math.max(1, Math.min(rows, CHUNK_BYTES / 4 / cols));
        float[] x = new float[chunk * cols];
        byte[] bytes = new byte[chunk * rowBytes];
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0), first = r0;
            dev.refusal4j.tensor.Parallel.forRange(n, Math.max(1, (1 << 14) / cols), (a, b) -> {
                for (int i = a; i < b; i++) {
                    m.row(from == null ? first + i : from[first + i], x, i * cols);
                    if (scaled) for (int j = i * cols; j < (i + 1) * cols; j++) x[j] = (float) (x[j] * qScale);
                    if (plusOne) for (int j = i * cols; j < (i + 1) * cols; j++) x[j] = x[j] + 1f;
                    gt.quantizeRow(x, i * cols, bytes, i * rowBytes, cols);
                }
            });
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, n * rowBytes);
            while (b.hasRemaining()) out.write(b);
        }
    }

    private static void put(java.nio.channels.FileChannel out, float[] x) throws IOException {
        byte[] bytes = new byte[x.length * 4];
        GgmlType.F32.quantizeRow(x, 0, bytes, 0, x.length);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) out.write(b);
    }

    private int headDim() {
        return cfg.headDim;
    }

    private void metadata(GgufWriter w, String a) throws IOException {
        w.putString("general.architecture", a).putString("general.name", dir.toAbsolutePath().normalize().getFileName().toString());
        if (type != null) w.putUInt32("general.file_type", fileType(type));
        if (a.equals("qwen")) { // QwenModel.set_gguf_parameters
            w.putUInt32(a + ".context_length", c.get("max_position_embeddings").asLong())
                    .putUInt32(a + ".block_count", cfg.layers)
                    .putUInt32(a + ".embedding_length", cfg.hidden)
                    .putUInt32(a + ".feed_forward_length", c.get("intermediate_size").asLong())
                    .putFloat32(a + ".rope.freq_base", (float) cfg.rope.theta())
                    .putUInt32(a + ".rope.dimension_count", cfg.rope.dims())
                    .putUInt32(a + ".attention.head_count", cfg.heads)
                    .putFloat32(a + ".attention.layer_norm_rms_epsilon", cfg.eps);
        } else { // TextModel.set_gguf_parameters and each model's additions
            w.putUInt32(a + ".block_count", cfg.layers)
                    .putUInt32(a + ".context_length", cfg.maxPositions)
                    .putUInt32(a + ".embedding_length", cfg.hidden)
                    .putUInt32(a + ".feed_forward_length", cfg.intermediate)
                    .putUInt32(a + ".attention.head_count", cfg.heads)
                    .putUInt32(a + ".attention.head_count_kv", cfg.kvHeads)
                    .putFloat32(a + ".rope.freq_base", (float) cfg.rope.theta())
                    .putFloat32(a + ".attention.layer_norm_rms_epsilon", cfg.eps);
            if (cfg.headDim != cfg.hidden / cfg.heads || c.hasNonNull("head_dim")) {
                w.putUInt32(a + ".attention.key_length", cfg.headDim).putUInt32(a + ".attention.value_length", cfg.headDim);
            }
            switch (a) {
                case "llama" -> w.putUInt32(a + ".vocab_size", cfg.vocab).putUInt32(a + ".rope.dimension_count", headDim());
                case "gemma2" -> {
                    w.putFloat32(a + ".attn_logit_softcapping", cfg.attnSoftcap).putFloat32(a + ".final_logit_softcapping", cfg.finalSoftcap);
                    int window = 0;
                    for (int x : cfg.window) window = Math.max(window, x);
                    w.putUInt32(a + ".attention.sliding_window", window > 0 ? window : c.path("sliding_window").asLong(4096));
                }
                case "phi3" -> {
                    w.putUInt32(a + ".rope.scaling.original_context_length", c.path("original_max_position_embeddings").asLong(cfg.maxPositions))
                            .putUInt32(a + ".rope.dimension_count", cfg.rope.dims());
                    int window = 0;
                    for (int x : cfg.window) window = Math.max(window, x);
                    w.putUInt32(a + ".attention.sliding_window", window);
                }
                default -> { }
            }
        }
        w.putUInt32("general.quantization_version", 2); // GGML_QUANT_VERSION, which convert_hf_to_gguf.py always writes
        if (Files.isRegularFile(dir.resolve("tokenizer.model")) && !arch.ggufName.startsWith("qwen")) sentencePiece(w);
        else if (Files.isRegularFile(dir.resolve("tokenizer.json"))) vocabulary(w);
        else {
            notes.add("note: " + dir + " has no tokenizer.json: the GGUF has no vocabulary (llama.cpp needs one to run it)");
            if (cfg.bosId >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", cfg.bosId);
            if (cfg.eosIds.length == 1) w.putUInt32("tokenizer.ggml.eos_token_id", cfg.eosIds[0]);
        }
    }

    /**
     * llama.cpp's {@code llama_ftype} of a file whose matrices are all {@code t} (the K types as
     * llama-quantize's _S mixes name them, the closest it has to a pure file).
     */
    static int fileType(GgmlType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 11;
            case Q4_K -> 14;
            case Q5_K -> 16;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(t.ggmlName);
        };
    }

    /** A byte-level BPE tokenizer.json as llama.cpp's "gpt2" vocabulary (_set_vocab_gpt2), and the chat template. */
    private void vocabulary(GgufWriter w) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        JsonNode tok = Json.MAPPER.readTree(file.toFile());
        if (!tok.path("model").path("type").asText().equals("BPE") || !tok.path("model").path("vocab").isObject()) {
            throw new ModelFormatException(file, "is not a byte-level BPE tokenizer, and the folder has no tokenizer.model; convert writes those two kinds of vocabulary");
        }
        String pre = GgufPreName.of(tok);
        if (pre == null) {
            throw new ModelFormatException(file, "has a pre-tokenizer llama.cpp has no name for in refusal4j (GPT-2's, Llama-3's and Qwen-2's are supported)");
        }
        int n = cfg.vocab;
        String[] tokens = new String[n];
        int[] types = new int[n];
        var fields = tok.get("model").get("vocab").fields();
        while (fields.hasNext()) {
            var e = fields.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= n) throw new ModelFormatException(file, "token '" + e.getKey() + "' has id " + e.getValue() + ", outside the vocabulary of " + n);
            tokens[id] = e.getKey();
            types[id] = 1; // NORMAL
        }
        for (JsonNode t : tok.path("added_tokens")) {
            int id = t.get("id").asInt(-1);
            if (id < 0 || id >= n) throw new ModelFormatException(file, "added token " + t.path("content") + " has id " + id + ", outside the vocabulary of " + n);
            tokens[id] = t.get("content").asText();
            types[id] = t.path("special").asBoolean() ? 3 : 4; // CONTROL, USER_DEFINED
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5; // UNUSED
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tok.get("model").path("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        w.putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putStringArray("tokenizer.ggml.tokens", List.of(tokens)).putInt32Array("tokenizer.ggml.token_type", types)
                .putStringArray("tokenizer.ggml.merges", merges);
        specialTokens(w, tokens, tokenizerConfig());
    }

    private JsonNode tokenizerConfig() throws IOException {
        Path tc = dir.resolve("tokenizer_config.json");
        return Files.isRegularFile(tc) ? Json.MAPPER.readTree(tc.toFile()) : Json.MAPPER.createObjectNode();
    }

    /**
     * gguf-py's SpecialVocab: the special tokens of tokenizer_config.json by their text (else
     * config.json's ids), add_bos_token and add_eos_token where tokenizer_config.json says them
     * (llama.cpp's defaults otherwise), and the chat template.
     */
    private void specialTokens(GgufWriter w, String[] tokens, JsonNode tcfg) throws IOException {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        String[][] special = {{"bos", "bos"}, {"eos", "eos"}, {"unk", "unknown"}, {"sep", "seperator"}, {"pad", "padding"}, {"cls", "cls"}, {"mask", "mask"}};
        for (String[] k : special) {
            JsonNode t = tcfg.path(k[0] + "_token");
            String text = t.isTextual() ? t.asText() : t.path("content").isTextual() ? t.path("content").asText() : null;
            long id = text != null && ids.containsKey(text) ? ids.get(text) : c.path(k[0] + "_token_id").isIntegralNumber() ? c.get(k[0] + "_token_id").asLong() : -1;
            if (id >= 0) w.putUInt32("tokenizer.ggml." + k[1] + "_token_id", id);
        }
        for (String k : List.of("add_bos_token", "add_eos_token")) {
            if (tcfg.path(k).isBoolean()) w.putBool("tokenizer.ggml." + k, tcfg.get(k).asBoolean());
        }
        Path jinja = dir.resolve("chat_template.jinja");
        if (tcfg.path("chat_template").isTextual()) w.putString("tokenizer.chat_template", tcfg.get("chat_template").asText());
        else if (Files.isRegularFile(jinja)) w.putString("tokenizer.chat_template", Files.readString(jinja));
    }

    /**
     * A SentencePiece tokenizer.model as llama.cpp's "llama" vocabulary
     * ({@code _create_vocab_sentencepiece}): every piece with its score and type (user-defined
     * pieces of the model count as normal), added_tokens.json's tokens as user-defined,
     * tokenizer_config.json's added_tokens_decoder as control (special, or looking special) or
     * user-defined with "▁" as a space, both with score −1000, and [PADi] unused tokens with score
     * −10000 up to vocab_size. Gemma's has no space prefix.
     */
    private void sentencePiece(GgufWriter w) throws IOException {
        Path file = dir.resolve("tokenizer.model");
        SentencePieceVocab v = SentencePieceVocab.read(file);
        int n = cfg.vocab;
        String[] tokens = new String[n];
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = "[PAD" + i + "]";
            scores[i] = -10000f;
            types[i] = 5; // UNUSED
        }
        for (int i = 0; i < Math.min(n, v.pieces().size()); i++) {
            tokens[i] = v.pieces().get(i);
            scores[i] = v.scores()[i];
            int t = v.types()[i];
            types[i] = t == 2 || t == 3 || t == 5 || t == 6 ? t : 1;
        }
        if (v.pieces().size() > n) notes.add("note: " + file + " has " + v.pieces().size() + " pieces; the model's vocab_size " + n + " keeps the first");
        Path addedJson = dir.resolve("added_tokens.json");
        if (Files.isRegularFile(addedJson)) {
            var fields = Json.MAPPER.readTree(addedJson.toFile()).fields();
            while (fields.hasNext()) {
                var e = fields.next();
                int id = e.getValue().asInt(-1);
                if (id < 0 || id >= n) continue; // llama.cpp ignores them too
                tokens[id] = e.getKey();
                scores[id] = -1000f;
                types[id] = 4; // USER_DEFINED
            }
        }
        JsonNode tcfg = tokenizerConfig();
        var decoder = tcfg.path("added_tokens_decoder").fields();
        while (decoder.hasNext()) {
            var e = decoder.next();
            int id = Integer.parseInt(e.getKey());
            if (id < 0 || id >= n) throw new ModelFormatException(dir.resolve("tokenizer_config.json"), "added token id " + id + " is outside the vocabulary of " + n);
            String text = e.getValue().path("content").asText();
            if (e.getValue().path("special").asBoolean(false) || looksSpecial(text)) {
                types[id] = 3; // CONTROL
            } else {
                text = text.replace('\u2581', ' ');
                types[id] = 4;
            }
            scores[id] = -1000f;
            tokens[id] = text;
        }
        w.putString("tokenizer.ggml.model", "llama").putString("tokenizer.ggml.pre", "default")
                .putStringArray("tokenizer.ggml.tokens", List.of(tokens)).putFloat32Array("tokenizer.ggml.scores", scores)
                .putInt32Array("tokenizer.ggml.token_type", types);
        specialTokens(w, tokens, tcfg);
        if (arch.normsPlusOne) w.putBool("tokenizer.ggml.add_space_prefix", false);
        else if (tcfg.path("add_prefix_space").isBoolean()) w.putBool("tokenizer.ggml.add_space_prefix", tcfg.get("add_prefix_space").asBoolean());
    }

    /** convert_hf_to_gguf.py's does_token_look_special: tokens some models leave unmarked though they are control tokens. */
    static boolean looksSpecial(String t) {
        return t.equals("<pad>") || t.equals("<mask>") || t.equals("<2mass>") || t.equals("[@BOS@]")
                || t.startsWith("<|") && t.endsWith("|>") || t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>")
                || t.startsWith("<unused") && t.endsWith(">");
    }

    /** LlamaModel.generate_extra_tensors: a divisor per frequency, the frequencies in float32 as torch computes them. */
    private float[] llama3Factors() {
        ModelConfig.Rope r = cfg.rope;
        double base = r.theta(), factor = r.factor(), low = r.lowFreqFactor(), high = r.highFreqFactor(), old = r.originalMaxPositions();
        int dim = headDim();
        float[] out = new float[dim / 2];
        for (int i = 0; i < out.length; i++) {
            float freq = 1f / (float) Math.pow(base, (float) (2 * i) / dim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < old / high) out[i] = 1;
            else if (wavelen > old / low) out[i] = (float) factor;
            else {
                double smooth = (old / wavelen - low) / (high - low);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /**
     * convert_hf_to_gguf.py's {@code LlamaModel.permute}: {@code w.reshape(n_head, 2, rows // n_head
     * // 2, ...).swapaxes(1, 2).reshape(w.shape)}, as the source row of each output row: output row
     * (head, 2i + j) is input row (head, j·hd/2 + i).
     */
    static int[] permutation(int rows, int nHead) {
        int half = rows / nHead / 2;
        int[] from = new int[rows];
        int next = 0;
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) from[next++] = h * 2 * half + j * half + i;
            }
        }
        return from;
    }
}
