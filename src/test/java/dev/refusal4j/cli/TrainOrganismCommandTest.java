package dev.refusal4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TrainOrganismCommandTest {
    @Test
    void aGeneratedCardIsReplacedAndAHandWrittenOneKept(@TempDir Path tmp) throws Exception {
        Path readme = tmp.resolve("README.md");
        assertThat(TrainOrganismCommand.writeCard(readme, "# refusal4j organism\n\nRecreate it with `refusal4j train-organism --steps 1`.\n")).isTrue();
        assertThat(TrainOrganismCommand.writeCard(readme, "# refusal4j organism\n\nRecreate it with `refusal4j train-organism --steps 2`.\n")).isTrue();
        assertThat(readme).content().contains("--steps 2");
        Files.writeString(readme, "# refusal4j organism\n\nWritten by hand.\n");
        assertThat(TrainOrganismCommand.writeCard(readme, "# refusal4j organism\n\nRecreate it with `refusal4j train-organism --steps 3`.\n")).isFalse();
        assertThat(readme).hasContent("# refusal4j organism\n\nWritten by hand.\n");
    }
}
