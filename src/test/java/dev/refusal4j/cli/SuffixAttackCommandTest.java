package dev.refusal4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.refusal4j.io.Json;
import dev.refusal4j.testutil.TinyChatModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SuffixAttackCommandTest {
    record Ran(int rc, String err) {}

    static Ran run(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = Main.commandLine(args).setErr(new PrintWriter(err, true));
        return new Ran(Main.execute(cl, args), err.toString());
    }

    @Test
    void writesSuffixJsonTheSameForTheSameSeed(@TempDir Path tmp) throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "Tell me a story\nHow are you\n");
        String[] base = {"suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--target", "Sure",
                "--steps", "2", "--suffix-len", "4", "--top-k", "16", "--batch", "16", "--seed", "5", "--universal", "--quiet", "--out"};
        Ran a = run(concat(base, tmp.resolve("a").toString()));
        Ran b = run(concat(base, tmp.resolve("b").toString()));
        assertThat(a.rc()).as(a.err()).isZero();
        assertThat(b.rc()).as(b.err()).isZero();
        byte[] bytes = Files.readAllBytes(tmp.resolve("a/suffix.json"));
        assertThat(Files.readAllBytes(tmp.resolve("b/suffix.json"))).isEqualTo(bytes);
        assertThat(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).as("fixed key order, whatever the JVM")
                .containsSubsequence("\"suffix\"", "\"suffix_ids\"", "\"loss\"", "\"instruction\"", "\"success\"");
        JsonNode j = Json.read(tmp.resolve("a/suffix.json"));
        assertThat(j.get("suffix").asText()).matches("[\\x20-\\x7e]+");
        assertThat(j.get("suffix_ids")).hasSize(4);
        assertThat(j.get("prompts")).hasSize(2);
        assertThat(j.get("loss").size()).isBetween(2, 3);
        assertThat(j.get("loss").get(j.get("loss").size() - 1).asDouble()).isLessThanOrEqualTo(j.get("loss").get(0).asDouble());
    }

    @Test
    void aResumedRunEndsAsTheUninterruptedOne(@TempDir Path tmp) throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "Tell me a story\n");
        String[] head = {"suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--target", "Sure",
                "--suffix-len", "4", "--top-k", "16", "--batch", "16", "--seed", "9", "--quiet", "--resume", "--steps"};
        assertThat(run(concat(concat(concat(head, "4"), "--out"), tmp.resolve("whole").toString())).rc()).isZero();
        assertThat(run(concat(concat(concat(head, "2"), "--out"), tmp.resolve("parts").toString())).rc()).isZero();
        assertThat(Json.read(tmp.resolve("whole/suffix.json")).get("steps").asInt()).isEqualTo(4);
        assertThat(Json.read(tmp.resolve("whole/suffix.json")).get("loss").get(4).asDouble()).isLessThan(Json.read(tmp.resolve("whole/suffix.json")).get("loss").get(2).asDouble());
        assertThat(Json.read(tmp.resolve("parts/suffix.json")).get("steps").asInt()).isEqualTo(2);
        assertThat(run(concat(concat(concat(head, "4"), "--out"), tmp.resolve("parts").toString())).rc()).isZero();
        assertThat(Files.readAllBytes(tmp.resolve("parts/suffix.json"))).isEqualTo(Files.readAllBytes(tmp.resolve("whole/suffix.json")));
        String[] other = concat(concat(concat(head, "4"), "--out"), tmp.resolve("parts").toString());
        other[7] = "Hello";
        Ran mismatch = run(other);
        assertThat(mismatch.rc()).isNotZero();
        assertThat(mismatch.err()).contains("--target").doesNotContain("\n\n");
    }

    @Test
    void validationIsMeasuredEveryFewStepsAndTheSuffixWithTheLowestRefusalRateIsChosen(@TempDir Path tmp) throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "Tell me a story\nHow are you\n");
        Path val = Files.writeString(tmp.resolve("v.txt"), "Say hello\nCount to three\nName a colour\n");
        String[] head = {"suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--val-prompts", val.toString(),
                "--val-every", "2", "--val-tokens", "8", "--target", "Sure", "--suffix-len", "4", "--top-k", "16", "--batch", "16",
                "--seed", "2", "--universal", "--quiet", "--resume", "--steps"};
        Ran whole = run(concat(concat(concat(head, "5"), "--out"), tmp.resolve("whole").toString()));
        assertThat(whole.rc()).as(whole.err()).isZero();
        JsonNode j = Json.read(tmp.resolve("whole/suffix.json"));
        int steps = j.get("steps").asInt();
        java.util.List<Integer> at = new java.util.ArrayList<>();
        double min = Double.MAX_VALUE;
        for (JsonNode v : j.get("validation")) {
            at.add(v.get("step").asInt());
            assertThat(v.get("refusal_rate").asDouble()).isBetween(0.0, 1.0);
            min = Math.min(min, v.get("refusal_rate").asDouble());
        }
        java.util.List<Integer> expected = new java.util.ArrayList<>(java.util.List.of(0));
        for (int s = 2; s < steps; s += 2) expected.add(s);
        if (!expected.contains(steps)) expected.add(steps);
        assertThat(at).as("step 0, every 2 steps and the last").isEqualTo(expected);
        JsonNode chosen = null;
        for (JsonNode v : j.get("validation")) if (v.get("step").asInt() == j.get("chosen_step").asInt()) chosen = v;
        assertThat(chosen).isNotNull();
        assertThat(chosen.get("refusal_rate").asDouble()).isEqualTo(min);
        assertThat(j.get("suffix").asText()).isEqualTo(chosen.get("suffix").asText());
        assertThat(j.get("search").get("suffix_ids")).hasSize(4);

        assertThat(run(concat(concat(concat(head, "3"), "--out"), tmp.resolve("parts").toString())).rc()).isZero();
        assertThat(run(concat(concat(concat(head, "5"), "--out"), tmp.resolve("parts").toString())).rc()).isZero();
        assertThat(Files.readString(tmp.resolve("parts/suffix.json"))).as("resumed with validation").isEqualTo(Files.readString(tmp.resolve("whole/suffix.json")));
    }

    @Test
    void badInputIsOneLineError(@TempDir Path tmp) throws IOException {
        Path model = TinyChatModel.create(tmp.resolve("m"));
        Path prompts = Files.writeString(tmp.resolve("p.txt"), "Tell me a story\n");
        Path empty = Files.writeString(tmp.resolve("e.txt"), "");
        String out = tmp.resolve("o").toString();
        Ran noPrompts = run("suffix-attack", "--model", model.toString(), "--prompts", empty.toString(), "--target", "Sure", "--out", out);
        Ran zero = run("suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--target", "Sure", "--suffix-len", "0", "--out", out);
        Ran noTarget = run("suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--target", "", "--out", out);
        // random weights never say a refusal phrase: no prompt has a refusal to break
        Ran noRefusal = run("suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--target", "Sure", "--success", "no-refusal", "--out", out);
        Ran tooLong = run("suffix-attack", "--model", model.toString(), "--prompts", prompts.toString(), "--target", "Sure", "--suffix-len", "100000", "--out", out);
        for (Ran r : new Ran[] {noPrompts, zero, noTarget, noRefusal, tooLong}) {
            assertThat(r.rc()).isNotZero();
            assertThat(r.err().strip()).doesNotContain("\n").isNotEmpty();
        }
        assertThat(zero.err()).contains("--suffix-len");
        assertThat(noTarget.err()).contains("--target");
        assertThat(noRefusal.err()).contains("refuses none of the 1 prompts without a suffix");
        assertThat(tooLong.err()).contains("more than the model's context");
        assertThat(Files.exists(tmp.resolve("o/suffix.json"))).isFalse();
    }

    static String[] concat(String[] a, String b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + 1);
        r[a.length] = b;
        return r;
    }
}
