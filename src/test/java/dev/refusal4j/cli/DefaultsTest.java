package dev.refusal4j.cli;

import dev.refusal4j.prompts.RunPrompts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Which models get the organism's answer measures: the bundled one, and another holding the same split files. */
class DefaultsTest {
    @Test
    void aModelWithTheBundledSplitsSharesTheOrganismsDataAndAnyOtherSplitDoesNot(@TempDir Path tmp) throws Exception {
        assertThat(Defaults.sharesOrganismData(Defaults.model())).isTrue();
        assertThat(Defaults.sharesOrganismData(tmp)).isFalse();   // no splits at all

        Path copy = tmp.resolve("retrained");
        Files.createDirectories(copy.resolve("splits"));
        for (String name : RunPrompts.NAMES) Files.copy(RunPrompts.split(Defaults.model(), name), RunPrompts.split(copy, name));
        assertThat(Defaults.sharesOrganismData(copy)).isTrue();
        assertThat(Defaults.isOrganism(copy)).isFalse();

        Path test = RunPrompts.split(copy, "harmless_test");
        byte[] b = Files.readAllBytes(test);
        b[b.length / 2] ^= 1;   // one request differs
        Files.write(test, b);
        assertThat(Defaults.sharesOrganismData(copy)).isFalse();

        Files.delete(test);   // a split missing
        assertThat(Defaults.sharesOrganismData(copy)).isFalse();
    }
}
