package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns vocabulary strings back into text (tokenizer.json {@code decoder}). Like Hugging Face's
 * decode_chain, each step maps the list of token strings to a new list; the result is joined.
 */
@FunctionalInterface
interface Decoder {
    List<String> decodeChain(List<String> tokens);

    /** Without a decoder Hugging Face joins the tokens with spaces. */
    Decoder NONE = tokens -> List.of(String.join(" ", tokens));

    default String decode(List<String> tokens) {
        return String.join("", decodeChain(tokens));
    }

    static Decoder fromJson(JsonNode node) {
        if (node == null || node.isNull()) return NONE;
        String type = node.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<Decoder> parts = new ArrayList<>();
                for (JsonNode n : node.path("decoders")) parts.add(fromJson(n));
                yield tokens -> {
                    for (Decoder d : parts) tokens = d.decodeChain(tokens);
                    return tokens;
                };
            }
            case "ByteLevel" -> Decoder::byteLevel;
            case "Replace" -> replace(node);
            case "ByteFallback" -> Decoder::byteFallback;
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> strip(oneCharacter(node, "content", " "), count(node, "start"), count(node, "stop"));
            case "Metaspace" -> metaspace(oneCharacter(node, "replacement", "\u2581"),
                    node.has("prepend_scheme") ? !"never".equals(node.get("prepend_scheme").asText())
                            : node.path("add_prefix_space").asBoolean(true));
            case "WordPiece" -> wordPiece(node.path("prefix").asText("##"), node.path("cleanup").asBoolean(true));
            default -> throw new IllegalArgumentException("unsupported decoder type '" + type + "'");
        };
    }

    /** Printable byte characters back to bytes, decoded as UTF-8 with U+FFFD for broken sequences. */
    static List<String> byteLevel(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) ByteLevel.appendBytes(t, bytes);
        return List.of(Utf8.decodeLossy(bytes.toByteArray(), bytes.size()));
    }

    private static Decoder replace(JsonNode node) {
        JsonNode pattern = node.path("pattern");
        String content = node.path("content").asText();
        if (pattern.has("String")) {
            String literal = pattern.get("String").asText();
            return tokens -> tokens.stream().map(t -> t.replace(literal, content)).toList();
        }
        Pattern regex = Regexes.compile(pattern.path("Regex").asText());
        String replacement = Matcher.quoteReplacement(content);
        return tokens -> tokens.stream().map(t -> regex.matcher(t).replaceAll(replacement)).toList();
    }

    /** Runs of "<0xXX>" tokens become their UTF-8 text, or one U+FFFD per byte when not valid UTF-8. */
    static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        byte[] pending = new byte[16];
        int n = 0;
        for (String t : tokens) {
            int b = byteToken(t);
            if (b >= 0) {
                if (n == pending.length) pending = java.util.Arrays.copyOf(pending, n * 2);
                pending[n++] = (byte) b;
                continue;
            }
            if (n > 0) flushBytes(pending, n, out);
            n = 0;
            out.add(t);
        }
        if (n > 0) flushBytes(pending, n, out);
        return out;
    }

    private static void flushBytes(byte[] bytes, int n, List<String> out) {
        String s = Utf8.decodeStrict(bytes, n);
        if (s != null) out.add(s);
        else for (int i = 0; i < n; i++) out.add("\uFFFD");
    }

    /** The byte of a "<0xXX>" token, or -1. */
    static int byteToken(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
        int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    /** A setting that must be one character (a string whose first code point is used). */
    private static int oneCharacter(JsonNode node, String key, String fallback) {
        String s = node.path(key).asText(fallback);
        if (s.isEmpty()) throw new IllegalArgumentException("decoder " + node.path("type").asText() + ": '" + key + "' is empty");
        return s.codePointAt(0);
    }

    private static int count(JsonNode node, String key) {
        JsonNode n = node.path(key);
        if (n.isMissingNode()) return 0;
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0) {
            throw new IllegalArgumentException("decoder " + node.path("type").asText() + ": '" + key + "' is " + n + ", not a count");
        }
        return n.asInt();
    }

    private static Decoder strip(int content, int start, int stop) {
        return tokens -> tokens.stream().map(t -> {
            int[] cps = t.codePoints().toArray();
            int from = 0, to = cps.length;
            while (from < start && from < cps.length && cps[from] == content) from++;
            while (cps.length - to < stop && to > from && cps[to - 1] == content) to--;
            return new String(cps, from, to - from);
        }).toList();
    }

    private static Decoder metaspace(int r, boolean stripFirst) {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                StringBuilder sb = new StringBuilder();
                final int index = i;
                tokens.get(i).codePoints().forEach(cp -> {
                    if (cp != r) sb.appendCodePoint(cp);
                    else if (!(index == 0 && stripFirst)) sb.append(' ');
                });
                out.add(sb.toString());
            }
            return out;
        };
    }

    static Decoder wordPiece(String prefix, boolean cleanup) {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                if (i != 0) t = t.startsWith(prefix) ? t.substring(prefix.length()) : " " + t;
                if (cleanup) t = cleanup(t);
                out.add(t);
            }
            return out;
        };
    }

    /** The clean-up of BERT's WordPiece decoder: no space before punctuation and in contractions. */
    static String cleanup(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** UTF-8 decoding the way Rust's String::from_utf8 / from_utf8_lossy behave. */
    final class Utf8 {
        private Utf8() {}

        static String decodeLossy(byte[] b, int n) {
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }

        /** The text, or null when the bytes are not valid UTF-8. */
        static String decodeStrict(byte[] b, int n) {
            try {
                return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b, 0, n)).toString();
            } catch (java.nio.charset.CharacterCodingException e) {
                return null;
            }
        }
    }
}
