package dev.refusal4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model found by its Hugging Face id in a cache laid out as huggingface_hub lays it out (FakeHubCache). */
class HubCacheTest {
    private static final String MAIN = "0123456789abcdef0123456789abcdef01234567";
    private static final String OLD = "89abcdef0123456789abcdef0123456789abcdef";

    @Test
    void findsTheSnapshotThatRefsMainNames(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("hub");
        FakeHubCache.add(root, "Org/Tiny-Model", MAIN, Map.of("config.json", "{\"a\": 1}", "tokenizer.json", "{}"), true);
        FakeHubCache.add(root, "Org/Tiny-Model", OLD, Map.of("config.json", "{\"a\": 0}"), false);

        Path snap = HubCache.find("Org/Tiny-Model", root);
        assertThat(snap).isEqualTo(root.resolve("models--Org--Tiny-Model/snapshots/" + MAIN));
        assertThat(Files.isSymbolicLink(snap.resolve("config.json"))).isTrue();
        assertThat(Files.readString(snap.resolve("config.json"))).isEqualTo("{\"a\": 1}"); // through the relative link into blobs/
        assertThat(HubCache.find("Org/Tiny-Model@" + OLD, root)).isEqualTo(root.resolve("models--Org--Tiny-Model/snapshots/" + OLD));
        assertThat(HubCache.find("Org/Tiny-Model@main", root)).isEqualTo(snap);
        assertThat(HubCache.modelName(snap)).isEqualTo("Tiny-Model");
        assertThat(HubCache.modelName(tmp.resolve("models/organism"))).isEqualTo("organism");
    }

    @Test
    void saysWhereItLookedAndThatItNeverDownloads(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("hub");
        assertThatThrownBy(() -> HubCache.find("Qwen/Qwen2.5-0.5B-Instruct", root))
                .hasMessageContaining(root.resolve("models--Qwen--Qwen2.5-0.5B-Instruct") + " does not exist")
                .hasMessageContaining("HF_HUB_CACHE").hasMessageContaining("never downloads");
        FakeHubCache.add(root, "Org/M", MAIN, Map.of("config.json", "{}"), false); // downloaded by commit: no refs/main
        assertThatThrownBy(() -> HubCache.find("Org/M", root))
                .hasMessageContaining("refs/main").hasMessageContaining(MAIN).hasMessageContaining("never downloads");
        assertThatThrownBy(() -> HubCache.find("Org/M@v2", root)).hasMessageContaining("refs/v2");
        assertThatThrownBy(() -> HubCache.find("Org/M@" + OLD, root)).hasMessageContaining("snapshots/" + OLD);
    }

    @Test
    void cacheRootFollowsHuggingFaceVariables() {
        assertThat(HubCache.root(Map.of("HF_HUB_CACHE", "/a", "HF_HOME", "/b"), "/home/u")).isEqualTo(Path.of("/a"));
        assertThat(HubCache.root(Map.of("HF_HOME", "/b"), "/home/u")).isEqualTo(Path.of("/b/hub"));
        assertThat(HubCache.root(Map.of(), "/home/u")).isEqualTo(Path.of("/home/u/.cache/huggingface/hub"));
        assertThat(HubCache.root(Map.of("HOME", "/h"), "/home/u")).isEqualTo(Path.of("/h/.cache/huggingface/hub"));
    }

    @Test
    void repoIds() {
        assertThat(HubCache.isRepoId("Qwen/Qwen2.5-0.5B-Instruct")).isTrue();
        assertThat(HubCache.isRepoId("meta-llama/Llama-3.2-1B-Instruct@main")).isTrue();
        assertThat(HubCache.isRepoId("models/organism")).isTrue(); // a missing folder reads as an id too: the message says both
        assertThat(HubCache.isRepoId("/abs/path")).isFalse();
        assertThat(HubCache.isRepoId("./rel/path")).isFalse();
        assertThat(HubCache.isRepoId("a/b/c")).isFalse();
        assertThat(HubCache.isRepoId("org/..")).isFalse();
        assertThat(HubCache.isRepoId("organism")).isFalse();
    }
}
