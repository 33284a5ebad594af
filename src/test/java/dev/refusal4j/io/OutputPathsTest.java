package dev.refusal4j.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.refusal4j.io.OutputPaths.input;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one check before every write: an output is never an input, inside an input folder, or around one. */
class OutputPathsTest {
    @TempDir
    Path tmp;

    @Test
    void refusesTheInputItselfInsideItAroundItAndLinksToIt() throws IOException {
        Path model = Files.createDirectories(tmp.resolve("model"));
        Path weights = Files.writeString(model.resolve("model.safetensors"), "weights");
        Path prompts = Files.writeString(tmp.resolve("prompts.txt"), "hi\n");
        OutputPaths.Input[] in = {input("model folder", model), input("prompt file", prompts)};

        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", weights, in))
                .hasMessageContaining("--out " + weights).hasMessageContaining("inside the input model folder " + model);
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", model.resolve("new/deeper.safetensors"), in)).hasMessageContaining("inside the input model folder");
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--jsonl", prompts, in)).hasMessageContaining("--jsonl " + prompts + " is the input prompt file");
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", tmp, in)).hasMessageContaining("contains the input model folder");
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", tmp.resolve("x/../prompts.txt"), in)).hasMessageContaining("is the input prompt file");
        Path symlink = Files.createSymbolicLink(tmp.resolve("link.txt"), prompts);
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", symlink, in)).hasMessageContaining("is the input prompt file");
        Path hardlink = Files.createLink(tmp.resolve("hard.txt"), prompts);
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", hardlink, in)).hasMessageContaining("is the input prompt file");
        Path linkedFolder = Files.createSymbolicLink(tmp.resolve("alias"), model);
        assertThatThrownBy(() -> OutputPaths.refuseInputs("--out", linkedFolder.resolve("out.gguf"), in)).hasMessageContaining("inside the input model folder");

        assertThatCode(() -> OutputPaths.refuseInputs("--out", tmp.resolve("out/logits.safetensors"), in)).doesNotThrowAnyException();
        assertThatCode(() -> OutputPaths.refuseInputs("--out", tmp.resolve("model2"), in)).doesNotThrowAnyException(); // a sibling with a common prefix
        assertThatCode(() -> OutputPaths.refuseInputs("--out", null, in)).doesNotThrowAnyException();
        assertThatCode(() -> OutputPaths.refuseInputs("--out", weights, input("prompt file", null))).doesNotThrowAnyException();
    }
}
