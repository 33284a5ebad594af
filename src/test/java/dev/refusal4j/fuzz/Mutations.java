package dev.refusal4j.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.refusal4j.io.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Damage done to a valid file, as values jqwik can generate, print and shrink. Positions are
 * fractions of the input's length, so one mutation means the same on any seed file and shrinks
 * towards the file's start. A failing case prints as the list of mutations applied to a named
 * seed file: that list is the reproducer.
 */
final class Mutations {
    private Mutations() {}

    /** One change to a file's bytes. */
    interface Mutation {
        byte[] apply(byte[] in);
    }

    static int at(double fraction, int length) {
        return (int) Math.min(length, Math.floor(fraction * (length + 1)));
    }

    private static String hex(byte[] b) {
        return b.length > 24 ? HexFormat.of().formatHex(b, 0, 24) + "...(" + b.length + " bytes)" : HexFormat.of().formatHex(b);
    }

    /** XOR one byte with a mask. */
    record Flip(double at, int mask) implements Mutation {
        public byte[] apply(byte[] in) {
            if (in.length == 0) return in;
            byte[] out = in.clone();
            int i = Math.min(in.length - 1, Mutations.at(at, in.length));
            out[i] ^= (byte) mask;
            return out;
        }
    }

    /** Overwrite bytes at a position (a field set to a hostile value). */
    record Overwrite(double at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in) {
            byte[] out = in.clone();
            int i = Mutations.at(at, in.length);
            for (int k = 0; k < bytes.length && i + k < out.length; k++) out[i + k] = bytes[k];
            return out;
        }

        @Override
        public String toString() {
            return "Overwrite[at=" + at + ", bytes=" + hex(bytes) + "]";
        }
    }

    /** Insert bytes (NUL, invalid UTF-8, stray text). */
    record Insert(double at, byte[] bytes) implements Mutation {
        public byte[] apply(byte[] in) {
            int i = Mutations.at(at, in.length);
            byte[] out = new byte[in.length + bytes.length];
            System.arraycopy(in, 0, out, 0, i);
            System.arraycopy(bytes, 0, out, i, bytes.length);
            System.arraycopy(in, i, out, i + bytes.length, in.length - i);
            return out;
        }

        @Override
        public String toString() {
            return "Insert[at=" + at + ", bytes=" + hex(bytes) + "]";
        }
    }

    /** Cut the file: to a fraction of its length, or to a small fixed length (the header's first fields). */
    record Truncate(double keep, int orAtMost) implements Mutation {
        public byte[] apply(byte[] in) {
            int n = orAtMost >= 0 ? Math.min(orAtMost, in.length) : Mutations.at(keep, in.length);
            return Arrays.copyOf(in, Math.min(n, in.length));
        }
    }

    /** Remove a run of bytes. */
    record Delete(double at, int n) implements Mutation {
        public byte[] apply(byte[] in) {
            int i = Mutations.at(at, in.length), end = Math.min(in.length, i + n);
            byte[] out = new byte[in.length - (end - i)];
            System.arraycopy(in, 0, out, 0, i);
            System.arraycopy(in, end, out, i, in.length - end);
            return out;
        }
    }

    /** Copy a run of bytes elsewhere (a record or key appearing twice). */
    record Duplicate(double from, int n, double to) implements Mutation {
        public byte[] apply(byte[] in) {
            int i = Mutations.at(from, in.length), end = Math.min(in.length, i + n);
            return new Insert(to, Arrays.copyOfRange(in, i, end)).apply(in);
        }
    }

    /** Bytes that break text formats: NUL, invalid UTF-8, a lone surrogate's encoding, BOMs, line breaks. */
    static final List<byte[]> NASTY_BYTES = List.of(
            new byte[]{0}, new byte[]{(byte) 0xFF}, new byte[]{(byte) 0xC0, (byte) 0x80}, new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[]{(byte) 0xE2, (byte) 0x82}, new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "\r".getBytes(), "\n".getBytes(),
            "\"".getBytes(), ",".getBytes(), "{".getBytes(), "[".getBytes(), "}".getBytes(), "]".getBytes(), "\\".getBytes(),
            new byte[]{(byte) 0xFE, (byte) 0xFF, 0, 0});

    /** Little-endian integers that break binary headers: lengths and counts that are huge, negative or off by one. */
    static final List<byte[]> NASTY_INTEGERS = List.of(
            le(0), le(1), le(-1), le(Integer.MAX_VALUE), le(Integer.MIN_VALUE), le(0xFFFFFFFFL), le(1L << 32),
            le(Long.MAX_VALUE), le(Long.MIN_VALUE), le(1L << 40), le(100L << 20), le(7), le(9), le(255), le(65536));

    static byte[] le(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (8 * i));
        return b;
    }

    /** Byte-level damage for any file. */
    static Arbitrary<Mutation> bytes() {
        Arbitrary<Double> at = Arbitraries.doubles().between(0, 1).ofScale(4);
        Arbitrary<Mutation> flip = Combinators.combine(at, Arbitraries.integers().between(1, 255)).as(Flip::new);
        Arbitrary<Mutation> overwrite = Combinators.combine(at, Arbitraries.of(NASTY_INTEGERS)).as(Overwrite::new);
        Arbitrary<Mutation> insert = Combinators.combine(at, Arbitraries.of(NASTY_BYTES)).as(Insert::new);
        Arbitrary<Mutation> truncate = Combinators.combine(at, Arbitraries.of(-1, -1, -1, 0, 1, 2, 4, 7, 8, 9, 12, 16, 24, 32))
                .as(Truncate::new);
        Arbitrary<Mutation> delete = Combinators.combine(at, Arbitraries.integers().between(1, 64)).as(Delete::new);
        Arbitrary<Mutation> dup = Combinators.combine(at, Arbitraries.integers().between(1, 256), at).as(Duplicate::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, flip), net.jqwik.api.Tuple.of(3, overwrite), net.jqwik.api.Tuple.of(3, insert),
                net.jqwik.api.Tuple.of(3, truncate), net.jqwik.api.Tuple.of(2, delete), net.jqwik.api.Tuple.of(1, dup));
    }

    // ---- JSON: values of the wrong type, out of range or huge, duplicate keys, deep nesting ----

    /** JSON values that a reader must not trust: wrong types, extreme and fractional numbers, odd strings. */
    static final List<String> NASTY_JSON = List.of(
            "-1", "0", "1.5", "-0.0", "0.5", "1e308", "-1e308", "1e-320", "2147483647", "2147483648", "-2147483649",
            "4294967296", "9223372036854775807", "18446744073709551616", "1e999", "NaN", "Infinity", "-Infinity",
            "null", "true", "false", "\"\"", "\"x\"", "\"\\u0000\"", "\"\\ud800\"", "\"../../../../etc/passwd\"",
            "\"" + "A".repeat(200_000) + "\"", "[]", "{}", "[null]", "[[]]", "[1, 2, 3]", "[-1, -1]", "{\"a\": 1}",
            "[" + "0,".repeat(100_000) + "0]");

    /** Replace the value of the k-th node (pre-order, as a fraction) by a hostile one. */
    record ReplaceNode(double which, String value) implements Mutation {
        public byte[] apply(byte[] in) {
            return json(in, root -> {
                List<Slot> slots = slots(root);
                if (slots.isEmpty()) return parse(value);
                slots.get(Math.min(slots.size() - 1, Mutations.at(which, slots.size() - 1))).set(parse(value));
                return root;
            });
        }

        @Override
        public String toString() {
            return "ReplaceNode[which=" + which + ", value=" + (value.length() > 40 ? value.substring(0, 40) + "...(" + value.length() + " chars)" : value) + "]";
        }
    }

    /** Replace the k-th number in the file (ids, counts, sizes, scores) by a hostile value. */
    record ReplaceNumber(double which, String value) implements Mutation {
        public byte[] apply(byte[] in) {
            return json(in, root -> {
                List<Slot> slots = slots(root, JsonNode::isNumber);
                if (!slots.isEmpty()) slots.get(Math.min(slots.size() - 1, Mutations.at(which, slots.size() - 1))).set(parse(value));
                return root;
            });
        }
    }

    /**
     * Replace the k-th member of a small object or array (a setting, not one of thousands of
     * vocabulary entries): where a file's options and headers live.
     */
    record ReplaceSetting(double which, String value) implements Mutation {
        public byte[] apply(byte[] in) {
            return json(in, root -> {
                List<Slot> slots = new ArrayList<>();
                collectSmall(root, slots);
                if (!slots.isEmpty()) slots.get(Math.min(slots.size() - 1, Mutations.at(which, slots.size() - 1))).set(parse(value));
                return root;
            });
        }

        @Override
        public String toString() {
            return new ReplaceNode(which, value).toString().replace("ReplaceNode", "ReplaceSetting");
        }
    }

    private static void collectSmall(JsonNode node, List<Slot> out) {
        boolean small = node.size() <= 16;
        if (node instanceof ObjectNode o) {
            for (String name : o.properties().stream().map(java.util.Map.Entry::getKey).toList()) {
                if (small) out.add(v -> o.set(name, v));
                collectSmall(o.get(name), out);
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                int index = i;
                if (small) out.add(v -> a.set(index, v));
                collectSmall(a.get(i), out);
            }
        }
    }

    /** Numbers that break ids, sizes and counts. */
    static final List<String> NASTY_NUMBERS = List.of("-1", "-2", "0", "1", "1.5", "-0.5", "1e308", "-1e308", "2147483647", "2147483648",
            "-2147483648", "4294967295", "9223372036854775807", "1e999", "NaN", "Infinity", "1000000000", "65536", "\"7\"", "null", "true");

    /** Write a member of the k-th object a second time, with a hostile value (Jackson keeps the last). */
    record DuplicateKey(double which, String value) implements Mutation {
        public byte[] apply(byte[] in) {
            String text = new String(in, StandardCharsets.UTF_8);
            List<Integer> keys = new ArrayList<>();
            // unrolled and possessive: a 200,000-character string must not recurse in the regex engine
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("[{,]\\s*+(\"[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\"\\s*+:)").matcher(text);
            while (m.find()) keys.add(m.start(1));
            if (keys.isEmpty()) return in;
            int k = keys.get(Math.min(keys.size() - 1, Mutations.at(which, keys.size() - 1)));
            int colon = text.indexOf(':', k);
            String member = text.substring(k, colon + 1) + " " + value + ", ";
            return (text.substring(0, k) + member + text.substring(k)).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return new ReplaceNode(which, value).toString().replace("ReplaceNode", "DuplicateKey");
        }
    }

    /** Wrap the k-th node in {@code depth} arrays or objects. */
    record Nest(double which, int depth, boolean objects) implements Mutation {
        public byte[] apply(byte[] in) {
            String open = objects ? "{\"a\": " : "[", close = objects ? "}" : "]";
            String nested = open.repeat(depth) + "0" + close.repeat(depth);
            // Jackson refuses to build a tree deeper than its limit, so the text is spliced after serialization
            String marker = "\"__refusal4j_nest_marker__\"";
            String text = new String(new ReplaceNode(which, marker).apply(in), StandardCharsets.UTF_8);
            return text.replace(marker, nested).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Lines that break line formats (merges.txt, *.tiktoken, prompt text): wrong field counts, huge and negative numbers. */
    static final List<String> NASTY_LINES = List.of("", " ", "a", "a b c", "a  b", "\t", "IQ== 99999999999", "IQ== -1", "IQ== 1.5",
            "IQ== 0", "!!! 2147483648", "=== 0", "AAAA", "Ġ Ġ", "#version: 0.2", "\u0000 \u0000", "A".repeat(100_000) + " 1");

    /** Replace the k-th line by a hostile one. */
    record ReplaceLine(double which, String line) implements Mutation {
        public byte[] apply(byte[] in) {
            String[] lines = new String(in, StandardCharsets.UTF_8).split("\n", -1);
            lines[Math.min(lines.length - 1, Mutations.at(which, lines.length - 1))] = line;
            return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "ReplaceLine[which=" + which + ", line=" + (line.length() > 40 ? line.substring(0, 40) + "...(" + line.length() + " chars)" : line) + "]";
        }
    }

    /** Template text that costs time, memory or stack when rendered: loops, recursion, huge strings, deep nesting. */
    static final List<String> NASTY_JINJA = List.of(
            "{% for i in range(100000000) %}x{% endfor %}",
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "{{ 'x' * 1000000000 }}",
            "{{ 'ab' * 100000 * 100000 }}",
            "{% set s = namespace(t='x') %}{% for i in range(64) %}{% set s.t = s.t ~ s.t %}{% endfor %}{{ s.t|length }}",
            "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
            "{{ " + "(".repeat(5000) + "1" + ")".repeat(5000) + " }}",
            "{{ " + "[".repeat(5000) + "]".repeat(5000) + " }}",
            "{% if true %}".repeat(3000) + "{% endif %}".repeat(3000),
            "{{ 10 ** 10 ** 10 }}",
            "{{ range(10000000000) | list | length }}",
            "{% set l = [1] %}{% for x in l %}{% set _ = l.append(x) %}{% endfor %}",
            "{{ messages | tojson(indent=100000000) }}",
            "{{ 'a' | center(1000000000) }}",
            "{{ '%1000000000d' % 1 }}",
            "{{ '{:>1000000000}'.format(1) }}",
            "{% for m in messages %}{{ raise_exception('bad ' ~ m.role) }}{% endfor %}",
            "{{ undefined_name.attr.more }}", "{% endfor %}", "{{", "{%", "{# never closed", "{% raw %}",
            "\u0000", "{{ '\\u0000' }}", "{{ 1 / 0 }}", "{{ messages[1000000] }}", "{{ 'x'[::0] }}");

    /** Insert a hostile template fragment at a position of a template's text. */
    record InsertText(double at, String text) implements Mutation {
        public byte[] apply(byte[] in) {
            return new Insert(at, text.getBytes(StandardCharsets.UTF_8)).apply(in);
        }

        @Override
        public String toString() {
            return "InsertText[at=" + at + ", text=" + (text.length() > 60 ? text.substring(0, 60) + "...(" + text.length() + " chars)" : text) + "]";
        }
    }

    static Arbitrary<Mutation> jinja() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Combinators.combine(Arbitraries.doubles().between(0, 1).ofScale(4), Arbitraries.of(NASTY_JINJA)).as(InsertText::new)),
                net.jqwik.api.Tuple.of(1, bytes()));
    }

    static Arbitrary<Mutation> lines() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Combinators.combine(Arbitraries.doubles().between(0, 1).ofScale(4), Arbitraries.of(NASTY_LINES)).as(ReplaceLine::new)),
                net.jqwik.api.Tuple.of(2, bytes()));
    }

    /** Damage to JSON files: the tree edits, and now and then broken bytes. */
    static Arbitrary<Mutation> json() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, jsonValues()), net.jqwik.api.Tuple.of(1, bytes()));
    }

    /** Well-formed JSON with hostile values: wrong types, extreme numbers, duplicate keys, deep nesting. */
    static Arbitrary<Mutation> jsonValues() {
        Arbitrary<Double> at = Arbitraries.doubles().between(0, 1).ofScale(4);
        Arbitrary<String> value = Arbitraries.of(NASTY_JSON);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(2, Combinators.combine(at, value).as(ReplaceNode::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(at, Arbitraries.oneOf(value, Arbitraries.of(NASTY_NUMBERS))).as(ReplaceSetting::new)),
                net.jqwik.api.Tuple.of(4, Combinators.combine(at, Arbitraries.of(NASTY_NUMBERS)).as(ReplaceNumber::new)),
                net.jqwik.api.Tuple.of(2, Combinators.combine(at, value).as(DuplicateKey::new)),
                net.jqwik.api.Tuple.of(1, Combinators.combine(at, Arbitraries.of(2, 50, 999, 1001, 5000, 100_000), Arbitraries.of(true, false))
                        .as(Nest::new)));
    }

    /** A slot in a JSON tree that can take another value. */
    interface Slot {
        void set(JsonNode v);
    }

    static List<Slot> slots(JsonNode root) {
        return slots(root, n -> true);
    }

    /** The slots whose current value passes {@code which}, in pre-order. */
    static List<Slot> slots(JsonNode root, java.util.function.Predicate<JsonNode> which) {
        List<Slot> out = new ArrayList<>();
        collect(root, which, out);
        return out;
    }

    private static void collect(JsonNode node, java.util.function.Predicate<JsonNode> which, List<Slot> out) {
        if (node instanceof ObjectNode o) {
            for (String name : o.properties().stream().map(java.util.Map.Entry::getKey).toList()) {
                if (which.test(o.get(name))) out.add(v -> o.set(name, v));
                collect(o.get(name), which, out);
            }
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                int index = i;
                if (which.test(a.get(i))) out.add(v -> a.set(index, v));
                collect(a.get(i), which, out);
            }
        }
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Applies a tree edit to JSON bytes; bytes that are not JSON (already damaged) are left as they are. */
    private static byte[] json(byte[] in, java.util.function.UnaryOperator<JsonNode> edit) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(in);
        } catch (IOException e) {
            return in;
        }
        if (!(root instanceof ContainerNode<?>)) return in;
        try {
            return Json.LINE.writeValueAsBytes(edit.apply(root));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Applies mutations in order. */
    static byte[] apply(byte[] seed, List<Mutation> ms) {
        byte[] b = seed;
        for (Mutation m : ms) b = m.apply(b);
        return b;
    }
}
