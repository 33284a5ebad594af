package dev.refusal4j.export;

import dev.refusal4j.ProgressListener;
import dev.refusal4j.intervene.Interventions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.io.ModelFiles;
import dev.refusal4j.io.SafetensorsFile;
import dev.refusal4j.io.SafetensorsWriter;
import dev.refusal4j.io.TensorInfo;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.ModelConfig;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sharded, tied model laid out as the Hub does (index with total_size and a sorted weight_map,
 * files as symlinks, extra files and a subfolder): the export keeps the shard layout, adds lm_head to
 * the embedding's shard, rewrites the index correctly and copies everything else.
 */
class OrthogonalizerShardsTest {
    @TempDir
    Path tmp;

    @Test
    void keepsTheShardLayoutAndWritesACorrectIndex() throws IOException {
        Path golden = Shared.path("golden", "qwen3");
        Path in = tmp.resolve("in");
        Path blobs = Files.createDirectories(tmp.resolve("blobs"));
        Files.createDirectories(in.resolve("extra"));
        // config.json as a symlink into a blob store, as in the Hugging Face cache
        Files.copy(golden.resolve("config.json"), blobs.resolve("cfg"));
        Files.createSymbolicLink(in.resolve("config.json"), blobs.resolve("cfg"));
        Files.writeString(in.resolve("tokenizer_config.json"), "{\"chat_template\": \"x\"}\n");
        Files.writeString(in.resolve("extra/notes.txt"), "kept");
        Files.writeString(in.resolve("extra/adapter.bin"), "weights of another format");
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        try (ModelFiles g = ModelFiles.open(golden)) {
            SafetensorsFile f = g.files().get(0);
            List<SafetensorsWriter.Source> a = new ArrayList<>(), b = new ArrayList<>();
            int i = 0;
            for (TensorInfo t : f.tensors().values()) {
                boolean first = i++ % 2 == 0;
                (first ? a : b).add(SafetensorsWriter.copy(t.name(), t.dtype(), t.shape(), f.segment(t)));
                weightMap.put(t.name(), first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors");
                total += t.end() - t.begin();
            }
            SafetensorsWriter.write(in.resolve("model-00001-of-00002.safetensors"), a, Map.of("format", "pt"));
            SafetensorsWriter.write(in.resolve("model-00002-of-00002.safetensors"), b, Map.of("format", "pt"));
        }
        ObjectMapper om = new ObjectMapper();
        var index = om.createObjectNode();
        index.putObject("metadata").put("total_size", total).put("total_parameters", total / 4).put("note", "kept");
        var wm = index.putObject("weight_map");
        weightMap.forEach(wm::put);
        Files.writeString(in.resolve(ModelFiles.INDEX), om.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        Map<String, String> before = ExportChecks.snapshot(in);

        ModelConfig cfg = ModelConfig.load(in);
        RefusalDirection dir = ExportChecks.randomDirection(cfg.hidden, 77);
        Path out = tmp.resolve("out");
        long[] told = {-1, -1}; // total, last done
        Orthogonalizer.Result r = Orthogonalizer.export(in, dir, out, false, new ProgressListener() {
            @Override
            public void total(long total) {
                told[0] = total;
            }

            @Override
            public void done(long done) {
                assertThat(done).as("bytes so far").isGreaterThan(told[1]).isLessThanOrEqualTo(told[0]);
                told[1] = done;
            }
        });
        assertThat(told).containsExactly(r.bytesWritten(), r.bytesWritten());
        assertThat(r.warnings()).singleElement().asString().contains("extra/adapter.bin").contains("NOT orthogonalized");

        JsonNode outIndex = om.readTree(out.resolve(ModelFiles.INDEX).toFile());
        Map<String, String> outMap = new LinkedHashMap<>();
        outIndex.get("weight_map").fields().forEachRemaining(e -> outMap.put(e.getKey(), e.getValue().asText()));
        String embedShard = weightMap.get("model.embed_tokens.weight");
        Map<String, String> want = new TreeMap<>(weightMap);
        want.put("lm_head.weight", embedShard);
        assertThat(new ArrayList<>(outMap.keySet())).as("sorted weight_map").isEqualTo(new ArrayList<>(want.keySet()));
        assertThat(outMap).isEqualTo(want);
        assertThat(outIndex.get("metadata").get("note").asText()).isEqualTo("kept");
        assertThat(outIndex.get("metadata").get("total_parameters").asLong()).isEqualTo(total / 4 + 256L * cfg.hidden);
        long outTotal = 0;
        try (ModelFiles o = ModelFiles.open(out)) {
            for (SafetensorsFile f : o.files()) {
                Set<String> names = new HashSet<>(f.tensors().keySet());
                Set<String> expected = new HashSet<>();
                want.forEach((t, shard) -> { if (shard.equals(f.path.getFileName().toString())) expected.add(t); });
                assertThat(names).as(f.path.getFileName().toString()).isEqualTo(expected);
                for (TensorInfo t : f.tensors().values()) outTotal += t.end() - t.begin();
                assertThat(Files.size(f.path)).isEqualTo(f.dataStart + f.tensors().values().stream().mapToLong(TensorInfo::end).max().orElseThrow());
            }
        }
        assertThat(outIndex.get("metadata").get("total_size").asLong()).isEqualTo(outTotal).isEqualTo(total + 256L * cfg.hidden * 4);

        try (Transformer orig = Transformer.load(in); Transformer exp = Transformer.load(out)) {
            for (int[] ids : ExportChecks.sequences(golden)) {
                float[] ref = ExportChecks.logits(orig, ids, Interventions.ablate(new Hooks(), dir.unit()));
                assertThat(ExportChecks.rel(ExportChecks.logits(exp, ids, null), ref)).isLessThanOrEqualTo(1e-4);
            }
        }
        assertThat(Files.isSymbolicLink(out.resolve("config.json"))).isFalse();
        assertThat(out.resolve("tokenizer_config.json")).hasSameBinaryContentAs(in.resolve("tokenizer_config.json"));
        assertThat(out.resolve("extra/notes.txt")).hasContent("kept");
        assertThat(ModelConfig.load(out).tieEmbeddings).isFalse();
        assertThat(ExportChecks.snapshot(in)).isEqualTo(before);
    }
}
