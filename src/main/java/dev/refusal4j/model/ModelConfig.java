package dev.refusal4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.io.ModelFormatException;
import dev.refusal4j.io.ModelPath;
import dev.refusal4j.io.gguf.GgufModel;
import dev.refusal4j.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Everything the forward pass needs to know about an architecture, read from {@code config.json}
 * (transformers 4.x layout, or 5.x with {@code rope_parameters} and {@code layer_types}), or from
 * a GGUF file's metadata ({@link GgufModel#config()} writes the config.json it stands for).
 * Architecture differences are data here, not subclasses of the model.
 */
public final class ModelConfig {
    /** How tensors are named and fused in the checkpoint. */
    public enum Layout { LLAMA, PHI3, QWEN1 }

    public enum Activation { SILU, GELU_TANH }

    public final Path file;
    public final String architecture; // e.g. "Qwen2ForCausalLM"
    public final String modelType;    // e.g. "qwen2"
    public final Layout layout;
    public final int hidden;          // d_model
    public final int layers;
    public final int heads;
    public final int kvHeads;
    public final int headDim;
    public final int intermediate;    // MLP width (Qwen-1: intermediate_size / 2)
    public final int vocab;
    public final float eps;
    public final Rope rope;
    public final boolean tieEmbeddings;
    public final boolean normPlusOne;     // Gemma: x * (1 + w)
    public final boolean sandwichNorms;   // Gemma-2: post-attention and post-feedforward norms
    public final boolean qkNorm;          // Qwen-3: per-head RMSNorm on q and k
    public final boolean qkvBias;
    public final boolean oBias;
    public final boolean mlpBias;
    public final Activation activation;
    public final boolean scaleEmbeddings; // Gemma: * sqrt(hidden) rounded to the model dtype
    public final double attnScale;        // multiplies q·k
    public final float attnSoftcap;       // 0 = none
    public final float finalSoftcap;      // 0 = none
    public final int[] window;            // per layer: sliding window size, 0 = full attention
    public final int maxPositions;
    public final DType dtype;             // torch_dtype / dtype, F32 when absent
    public final int[] eosIds;
    public final int bosId;               // -1 when absent

    /**
     * Rotary embedding: dims rotated, base, and optional frequency scaling: type "llama3" with its
     * parameters, or "factors", a divisor per frequency (llama3 scaling as GGUF stores it, in
     * rope_freqs.weight).
     */
    public record Rope(int dims, double theta, String type, double factor, double lowFreqFactor,
                       double highFreqFactor, int originalMaxPositions, List<Double> factors) {}

    private ModelConfig(Path file, JsonNode c, double[] ropeFactors) {
        this.file = file;
        JsonNode archs = c.get("architectures");
        this.architecture = archs != null && archs.isArray() && !archs.isEmpty() ? archs.get(0).asText() : "";
        this.modelType = c.path("model_type").asText("");
        String a = architecture.isEmpty() ? modelType : architecture;
        Layout lay;
        boolean gemma = false, gemma2 = false, qwen3 = false, qwen2 = false;
        switch (a) {
            case "LlamaForCausalLM", "llama", "MistralForCausalLM", "mistral" -> lay = Layout.LLAMA;
            case "Qwen2ForCausalLM", "qwen2" -> { lay = Layout.LLAMA; qwen2 = true; }
            case "Qwen3ForCausalLM", "qwen3" -> { lay = Layout.LLAMA; qwen3 = true; }
            case "GemmaForCausalLM", "gemma" -> { lay = Layout.LLAMA; gemma = true; }
            case "Gemma2ForCausalLM", "gemma2" -> { lay = Layout.LLAMA; gemma = true; gemma2 = true; }
            case "Phi3ForCausalLM", "phi3" -> lay = Layout.PHI3;
            case "QWenLMHeadModel", "qwen" -> lay = Layout.QWEN1;
            default -> throw new ModelFormatException(file, "unsupported architecture '" + a + "' (supported: LlamaForCausalLM, "
                    + "MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, GemmaForCausalLM, Gemma2ForCausalLM, Phi3ForCausalLM, QWenLMHeadModel)");
        }
        this.layout = lay;
        boolean qwen1 = lay == Layout.QWEN1;
        this.hidden = req(c, "hidden_size");
        this.layers = req(c, "num_hidden_layers");
        // the engine sizes its per-layer tables from this count before it finds the tensors missing
        if (layers > MAX_LAYERS) bad("num_hidden_layers " + layers + " is more than any model has (at most " + MAX_LAYERS + ")");
        this.heads = req(c, "num_attention_heads");
        this.kvHeads = qwen1 ? heads : positiveInt(c, "num_key_value_heads", heads);
        String hdKey = qwen1 ? "kv_channels" : "head_dim";
        if (!c.hasNonNull(hdKey) && hidden % heads != 0) {
            bad("hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads + " (and there is no '" + hdKey + "' to say the head size)");
        }
        int hd = positiveInt(c, hdKey, hidden / heads);
        this.headDim = hd;
        int inter = req(c, "intermediate_size");
        if (qwen1 && inter % 2 != 0) bad("'intermediate_size' " + inter + " is odd; Qwen-1 splits it into two halves");
        this.intermediate = qwen1 ? inter / 2 : inter;
        this.vocab = req(c, "vocab_size");
        if (heads % kvHeads != 0) bad("num_attention_heads " + heads + " is not a multiple of num_key_value_heads " + kvHeads);
        if (hd % 2 != 0) bad(hdKey + " " + hd + " is odd; rotary embeddings need it even");
        String epsKey = qwen1 ? "layer_norm_epsilon" : "rms_norm_eps";
        double eps = number(c, epsKey, 1e-6);
        if (eps < 0) bad("'" + epsKey + "' " + eps + " must be >= 0 (it is added to the mean square under a square root)");
        this.eps = (float) eps;

        JsonNode rp = c.get("rope_parameters");  // transformers 5.x
        JsonNode rs = c.hasNonNull("rope_scaling") ? c.get("rope_scaling") : rp;
        double theta = qwen1 ? positiveNumber(c, "rotary_emb_base", 10000)
                : c.hasNonNull("rope_theta") ? positiveNumber(c, "rope_theta", 10000)
                : rp != null && rp.hasNonNull("rope_theta") ? positiveNumber(rp, "rope_parameters.rope_theta", "rope_theta", 10000) : 10000.0;
        if (rs != null && !rs.isObject()) bad("'rope_scaling' is not an object");
        String rtype = rs == null ? "default" : rs.path("rope_type").asText(rs.path("type").asText("default"));
        if (!rtype.equals("default") && !rtype.equals("llama3")) {
            bad("rope_scaling type '" + rtype + "' is not supported (supported: default, llama3)");
        }
        double rotary = qwen1 ? number(c, "rotary_pct", 1.0) : number(c, "partial_rotary_factor", 1.0);
        String rotaryKey = qwen1 ? "rotary_pct" : "partial_rotary_factor";
        if (!(rotary > 0 && rotary <= 1)) bad("'" + rotaryKey + "' " + rotary + " must be in (0, 1]");
        int rotDims = qwen1 ? (int) Math.round(hd * rotary) : rotary != 1.0 ? (int) (hd * rotary) : hd;
        if (rotDims < 2 || rotDims % 2 != 0) bad("'" + rotaryKey + "' " + rotary + " of head size " + hd + " rotates " + rotDims + " dimensions; rotary embeddings need an even number >= 2");
        String rsKey = c.hasNonNull("rope_scaling") ? "rope_scaling" : "rope_parameters";
        if (rtype.equals("llama3")) {
            double factor = positiveNumber(rs, rsKey + ".factor", "factor", Double.NaN);
            double low = positiveNumber(rs, rsKey + ".low_freq_factor", "low_freq_factor", Double.NaN);
            double high = positiveNumber(rs, rsKey + ".high_freq_factor", "high_freq_factor", Double.NaN);
            int original = positiveInt(rs, rsKey + ".original_max_position_embeddings", "original_max_position_embeddings", -1);
            if (factor < 1) bad("'" + rsKey + ".factor' " + factor + " must be >= 1 (llama3 scaling stretches the context)");
            if (high <= low) bad("'" + rsKey + ".high_freq_factor' " + high + " must be greater than 'low_freq_factor' " + low);
            this.rope = new Rope(rotDims, theta, rtype, factor, low, high, original, List.of());
        } else if (ropeFactors != null) {
            if (ropeFactors.length != rotDims / 2) bad(ropeFactors.length + " rope frequency factors for " + rotDims / 2 + " rotated frequencies");
            this.rope = new Rope(rotDims, theta, "factors", 1, 1, 1, 0, Arrays.stream(ropeFactors).boxed().toList());
        } else {
            this.rope = new Rope(rotDims, theta, "default", 1, 1, 1, 0, List.of());
        }

        this.tieEmbeddings = c.path("tie_word_embeddings").asBoolean(!qwen1 && gemma);
        this.normPlusOne = gemma;
        this.sandwichNorms = gemma2;
        this.qkNorm = qwen3;
        this.qkvBias = qwen1 || qwen2 || c.path("attention_bias").asBoolean(false);
        this.oBias = !qwen2 && !qwen1 && c.path("attention_bias").asBoolean(false);
        this.mlpBias = c.path("mlp_bias").asBoolean(false);
        String act = c.path("hidden_activation").asText(c.path("hidden_act").asText("silu"));
        this.activation = switch (act) {
            case "silu", "swish" -> Activation.SILU;
            case "gelu_pytorch_tanh", "gelu_tanh", "gelu" -> gemma || !act.equals("gelu") ? Activation.GELU_TANH : null;
            default -> null;
        };
        if (activation == null) bad("hidden activation '" + act + "' is not supported for " + a);
        this.scaleEmbeddings = gemma;
        this.attnScale = gemma2 && c.hasNonNull("query_pre_attn_scalar")
                ? 1.0 / Math.sqrt(positiveNumber(c, "query_pre_attn_scalar", 1)) : 1.0 / Math.sqrt(hd);
        this.attnSoftcap = (float) softcap(c, "attn_logit_softcapping");
        this.finalSoftcap = (float) softcap(c, "final_logit_softcapping");
        this.window = windows(c, gemma2);
        this.maxPositions = positiveInt(c, "max_position_embeddings", qwen1 ? positiveInt(c, "seq_length", 8192) : 4096);
        String dt = c.path("torch_dtype").asText(c.path("dtype").asText("float32"));
        this.dtype = switch (dt) {
            case "bfloat16" -> DType.BF16;
            case "float16" -> DType.F16;
            default -> DType.F32;
        };
        JsonNode eos = c.get("eos_token_id");
        if (eos == null || eos.isNull()) eosIds = new int[0];
        else if (eos.isArray()) { eosIds = new int[eos.size()]; for (int i = 0; i < eosIds.length; i++) eosIds[i] = eos.get(i).asInt(); }
        else eosIds = new int[] {eos.asInt()};
        this.bosId = c.path("bos_token_id").asInt(-1);
    }

    private int[] windows(JsonNode c, boolean gemma2) {
        int[] w = new int[layers];
        JsonNode sw = c.get("sliding_window");
        int size = sw == null || sw.isNull() ? 0 : sw.asInt();
        if (size <= 0) return w;
        JsonNode types = c.get("layer_types");
        if (types != null && types.isArray()) {
            if (types.size() != layers) bad("layer_types has " + types.size() + " entries for " + layers + " layers");
            for (int l = 0; l < layers; l++) if (types.get(l).asText().equals("sliding_attention")) w[l] = size;
        } else if (gemma2) {
            for (int l = 0; l < layers; l += 2) w[l] = size; // even layers slide, odd layers are global
        } else if (c.has("use_sliding_window")) {
            // Qwen-2/3: only when enabled, and only from max_window_layers on
            if (c.get("use_sliding_window").asBoolean(false)) {
                for (int l = c.path("max_window_layers").asInt(0); l < layers; l++) w[l] = size;
            }
        } else {
            Arrays.fill(w, size); // Mistral, Phi-3: every layer
        }
        return w;
    }

    private int req(JsonNode c, String key) {
        if (!c.hasNonNull(key)) bad("'" + key + "' is missing");
        return positiveInt(c, key, -1);
    }

    /** A whole number > 0 (2.0 counts, 2.5 does not), or {@code dflt} when the key is absent or null. */
    private int positiveInt(JsonNode c, String key, int dflt) {
        return positiveInt(c, key, key, dflt);
    }

    private int positiveInt(JsonNode c, String name, String key, int dflt) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            if (dflt < 0) bad("'" + name + "' is missing");
            return dflt;
        }
        double d = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(d == Math.rint(d) && d >= 1 && d <= Integer.MAX_VALUE)) bad("'" + name + "' is " + v + "; it must be a whole number > 0");
        return (int) d;
    }

    /** A finite number, or {@code dflt} when the key is absent or null. */
    private double number(JsonNode c, String key, double dflt) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) bad("'" + key + "' is " + v + "; it must be a finite number");
        return v.asDouble();
    }

    /** A finite number > 0; {@code dflt} NaN means the key is required. */
    private double positiveNumber(JsonNode c, String key, double dflt) {
        return positiveNumber(c, key, key, dflt);
    }

    private double positiveNumber(JsonNode c, String name, String key, double dflt) {
        JsonNode v = c.get(key);
        if (v == null || v.isNull()) {
            if (Double.isNaN(dflt)) bad("'" + name + "' is missing");
            return dflt;
        }
        double d = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(Double.isFinite(d) && d > 0)) bad("'" + name + "' is " + v + "; it must be a finite number > 0");
        return d;
    }

    /** A logit soft cap: absent, null or 0 means none; otherwise a number > 0 that a float holds. */
    private double softcap(JsonNode c, String key) {
        double v = number(c, key, 0);
        if (v < 0 || !(v <= Float.MAX_VALUE)) bad("'" + key + "' " + v + " must be > 0 and at most " + Float.MAX_VALUE + " (or 0/null for no cap)");
        return v;
    }

    /** More layers than any released model, for a damaged or hostile config.json. */
    public static final int MAX_LAYERS = 1024;

    private void bad(String msg) {
        throw new ModelFormatException(file, msg);
    }

    /** The config of a model folder (its config.json) or of a GGUF model (its metadata). */
    public static ModelConfig load(Path modelDir) throws IOException {
        ModelPath mp = ModelPath.of(modelDir);
        if (mp.isGguf()) {
            try (GgufModel g = GgufModel.open(mp.ggufParts())) {
                return of(g);
            }
        }
        Path f = modelDir.resolve("config.json");
        if (!Files.isRegularFile(f)) throw new ModelFormatException(modelDir, "no config.json in the model directory");
        return parse(f);
    }

    public static ModelConfig parse(Path configFile) throws IOException {
        JsonNode c;
        try {
            c = Json.MAPPER.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(configFile, "not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (c == null || !c.isObject()) throw new ModelFormatException(configFile, "not a JSON object");
        return new ModelConfig(configFile, c, null);
    }

    /** The config of a GGUF model: the config.json its metadata stands for, and llama3's rope factors if it has them. */
    public static ModelConfig of(GgufModel gguf) {
        return new ModelConfig(gguf.path(), gguf.config(), gguf.ropeFactors());
    }

    /** Throws an error naming the id and the vocabulary size unless {@code id} is a token of the model. */
    public void requireTokenId(int id) {
        if (id < 0 || id >= vocab) {
            throw new IllegalArgumentException("token id " + id + " is outside the model's vocabulary: " + file + " has vocab_size " + vocab
                    + " (ids 0-" + (vocab - 1) + ")");
        }
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Parameters, counting tied embeddings once. */
    public long parameterCount() {
        long attn = (long) hidden * (qDim() + 2L * kvDim()) + (long) qDim() * hidden;
        long mlp = 3L * hidden * intermediate;
        long perLayer = attn + mlp + 2L * hidden;
        return perLayer * layers + (long) vocab * hidden * (tieEmbeddings ? 1 : 2) + hidden;
    }

    @Override
    public String toString() {
        return architecture + "(d=" + hidden + ", L=" + layers + ", H=" + heads + "/" + kvHeads + ", hd=" + headDim
                + ", ff=" + intermediate + ", V=" + vocab + ")";
    }
}
