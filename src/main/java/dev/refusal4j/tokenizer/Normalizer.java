package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A text rewrite applied before pre-tokenization (the {@code normalizer} of tokenizer.json). */
@FunctionalInterface
interface Normalizer {
    String normalize(String text);

    Normalizer IDENTITY = text -> text;

    /** Builds the normalizer a tokenizer.json node describes; null or JSON null gives the identity. */
    static Normalizer fromJson(JsonNode node) {
        if (node == null || node.isNull()) return IDENTITY;
        String type = node.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<Normalizer> parts = new ArrayList<>();
                for (JsonNode n : node.path("normalizers")) parts.add(fromJson(n));
                yield text -> {
                    for (Normalizer p : parts) text = p.normalize(text);
                    return text;
                };
            }
            case "Prepend" -> {
                String prefix = node.path("prepend").asText();
                yield text -> text.isEmpty() ? text : prefix + text;
            }
            case "Append" -> {
                String suffix = node.path("append").asText();
                yield text -> text.isEmpty() ? text : text + suffix;
            }
            case "Replace" -> replace(node);
            case "NFC" -> text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
            case "NFD" -> text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFD);
            case "NFKC" -> text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKC);
            case "NFKD" -> text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> text -> text.toLowerCase(Locale.ROOT);
            case "StripAccents" -> Normalizer::stripAccents;
            case "Strip" -> {
                boolean left = node.path("strip_left").asBoolean(true);
                boolean right = node.path("strip_right").asBoolean(true);
                yield text -> strip(text, left, right);
            }
            case "BertNormalizer" -> bert(node.path("clean_text").asBoolean(true),
                    node.path("handle_chinese_chars").asBoolean(true),
                    node.path("strip_accents").isNull() || node.path("strip_accents").isMissingNode()
                            ? node.path("lowercase").asBoolean(true) : node.path("strip_accents").asBoolean(),
                    node.path("lowercase").asBoolean(true));
            case "Precompiled" -> {
                if (node.path("precompiled_charsmap").asText("").isEmpty()) yield IDENTITY;
                throw new IllegalArgumentException("normalizer 'Precompiled' with a character map is not supported");
            }
            default -> throw new IllegalArgumentException("unsupported normalizer type '" + type + "'");
        };
    }

    private static Normalizer replace(JsonNode node) {
        JsonNode pattern = node.path("pattern");
        String content = node.path("content").asText();
        if (pattern.has("String")) {
            String literal = pattern.get("String").asText();
            return text -> text.replace(literal, content);
        }
        Pattern regex = Regexes.compile(pattern.path("Regex").asText());
        String replacement = Matcher.quoteReplacement(content);
        return text -> regex.matcher(text).replaceAll(replacement);
    }

    static String stripAccents(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(sb::appendCodePoint);
        return sb.toString();
    }

    private static String strip(String text, boolean left, boolean right) {
        int start = 0, end = text.length();
        while (left && start < end && Chars.isWhiteSpace(text.codePointAt(start))) start += Character.charCount(text.codePointAt(start));
        while (right && end > start && Chars.isWhiteSpace(text.codePointBefore(end))) end -= Character.charCount(text.codePointBefore(end));
        return text.substring(start, end);
    }

    /** BERT's normalizer: drop control characters, space out CJK ideographs, strip accents, lower-case. */
    static Normalizer bert(boolean cleanText, boolean chineseChars, boolean stripAccents, boolean lowercase) {
        return text -> {
            StringBuilder sb = new StringBuilder(text.length());
            text.codePoints().forEach(cp -> {
                if (cleanText) {
                    if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
                    if (Chars.isWhiteSpace(cp)) cp = ' ';
                }
                if (chineseChars && Chars.isCjk(cp)) sb.append(' ').appendCodePoint(cp).append(' ');
                else sb.appendCodePoint(cp);
            });
            String s = sb.toString();
            if (stripAccents) s = stripAccents(java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD));
            if (lowercase) s = s.toLowerCase(Locale.ROOT);
            return s;
        };
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE
                || t == Character.UNASSIGNED;
    }
}
