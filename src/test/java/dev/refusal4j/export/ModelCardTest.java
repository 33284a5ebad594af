package dev.refusal4j.export;

import dev.refusal4j.direction.RefusalDirection;
import dev.refusal4j.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An export's README.md describes the new model: it used to be the source's card, which says the
 * model refuses and ties its embeddings.
 */
class ModelCardTest {
    @TempDir
    Path tmp;

    static final String SOURCE_CARD = "# tiny\n\nThis model refuses harmful requests. Its embeddings are tied.\n";

    private Path model(boolean card) throws IOException {
        Path in = Files.createDirectories(tmp.resolve(card ? "model" : "bare"));
        try (var s = Files.list(Shared.path("golden", "gemma"))) { // tied embeddings
            for (Path p : s.toList()) Files.copy(p, in.resolve(p.getFileName().toString()));
        }
        if (card) Files.writeString(in.resolve("README.md"), SOURCE_CARD);
        return in;
    }

    /** A run folder's direction.safetensors and metrics.json, as `run` writes them. */
    private Path runDirection(int metricsLayer) throws IOException {
        Path run = Files.createDirectories(tmp.resolve("run" + metricsLayer));
        RefusalDirection r = ExportChecks.randomDirection(64, 4);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model", "models/tiny");
        meta.put("bypass_score", "-7.5");
        Path file = run.resolve("direction.safetensors");
        new RefusalDirection(r.vector(), 1, -2, meta).write(file);
        Files.writeString(run.resolve("metrics.json"), """
                {"model": "models/tiny", "judge": "substring (refusal_direction phrase list)",
                 "refusal_rate": {"harmful_baseline": 0.92, "harmful_ablation": 0.03, "harmless_baseline": 0.01, "harmless_actadd": 1.0},
                 "direction": {"layer": %d, "position": -2, "norm": 3.0},
                 "counts": {"harmful_test": 100, "harmless_test": 100}}
                """.formatted(metricsLayer));
        return file;
    }

    @Test
    void theCardSaysWhatWasDoneAndKeepsTheSourceCardAside() throws IOException {
        Path in = model(true), file = runDirection(1);
        RefusalDirection dir = RefusalDirection.read(file);
        Path out = tmp.resolve("out");
        Orthogonalizer.export(in, dir, file, out, false, null);
        String card = Files.readString(out.resolve("README.md"));
        assertThat(out.resolve("README.source.md")).hasContent(SOURCE_CARD);
        assertThat(card).doesNotContain("This model refuses").contains("# out")
                .contains("weight orthogonalization").contains("W ← W − r̂ r̂ᵀ W")
                .contains("| file | `" + file + "` |").contains("| layer | 1 ").contains("| position | -2 ").contains("| norm of r | 3.00000 |")
                .contains("| SHA-256 of r (float32, little-endian) | `" + ExportedMetadata.sha256(dir.vector()) + "` |")
                .contains("| bypass score | -7.5 |").contains("| measured on | `models/tiny` |")
                .contains("`tie_word_embeddings: false`")
                .contains("| harmful_baseline | 92.0% |").contains("| harmful_ablation | 3.0% |").contains("100 harmful and 100 harmless test prompts")
                .contains("`" + in + "` (GemmaForCausalLM").contains("kept as [README.source.md](README.source.md)")
                .contains("refusal4j " + dev.refusal4j.Version.VERSION);

        Path again = tmp.resolve("again");
        Orthogonalizer.export(in, dir, file, again, false, null);
        assertThat(Files.readAllBytes(again.resolve("README.md"))).as("same export, same card").isEqualTo(card.replace("# out", "# again").getBytes(java.nio.charset.StandardCharsets.UTF_8));

        Path twice = tmp.resolve("twice"); // an export of an export keeps both earlier cards
        Orthogonalizer.export(out, dir, file, twice, false, null);
        assertThat(twice.resolve("README.source.source.md")).hasContent(SOURCE_CARD);
        assertThat(twice.resolve("README.source.md")).hasContent(card);
    }

    @Test
    void ratesOfAnotherDirectionAreNotRepeatedAndAMissingSourceCardIsSaid() throws IOException {
        Path in = model(false), file = runDirection(2);
        Path out = tmp.resolve("out");
        Orthogonalizer.export(in, RefusalDirection.read(file), file, out, false, null);
        String card = Files.readString(out.resolve("README.md"));
        assertThat(card).contains("is about another direction (layer 2, position -2)").doesNotContain("92.0%").contains("It had no README.md.");
        assertThat(out.resolve("README.source.md")).doesNotExist();
    }
}
