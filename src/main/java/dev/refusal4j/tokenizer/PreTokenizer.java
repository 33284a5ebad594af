package dev.refusal4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Splits normalized text into words that the model encodes one by one (tokenizer.json {@code pre_tokenizer}). */
interface PreTokenizer {
    /**
     * Splits every piece further.
     *
     * @param firstAtStart whether {@code pieces.get(0)} begins at the start of the original text
     *                     (Metaspace's prepend_scheme "first" adds its prefix only there)
     */
    List<String> split(List<String> pieces, boolean firstAtStart);

    PreTokenizer NONE = (pieces, first) -> pieces;

    static PreTokenizer fromJson(JsonNode node) {
        if (node == null || node.isNull()) return NONE;
        String type = node.path("type").asText();
        return switch (type) {
            case "Sequence" -> {
                List<PreTokenizer> parts = new ArrayList<>();
                for (JsonNode n : node.path("pretokenizers")) parts.add(fromJson(n));
                yield sequence(parts);
            }
            case "ByteLevel" -> byteLevel(node.path("add_prefix_space").asBoolean(true), node.path("use_regex").asBoolean(true));
            case "Split" -> {
                JsonNode pattern = node.path("pattern");
                boolean invert = node.path("invert").asBoolean(false);
                Splitter.Behavior behavior = Splitter.Behavior.parse(node.path("behavior").asText());
                if (pattern.has("String")) {
                    String literal = pattern.get("String").asText();
                    yield perPiece((s, out) -> Splitter.split(s, Splitter.literalSpans(s, literal, invert), behavior, out));
                }
                yield regexSplit(Regexes.compile(pattern.path("Regex").asText()), invert, behavior);
            }
            case "Punctuation" -> {
                Splitter.Behavior behavior = Splitter.Behavior.parse(node.path("behavior").asText("Isolated"));
                yield perPiece((s, out) -> Splitter.split(s, Splitter.charSpans(s, Chars::isPunctuation), behavior, out));
            }
            case "Digits" -> {
                Splitter.Behavior behavior = node.path("individual_digits").asBoolean(false)
                        ? Splitter.Behavior.ISOLATED : Splitter.Behavior.CONTIGUOUS;
                yield perPiece((s, out) -> Splitter.split(s, Splitter.charSpans(s, Chars::isNumeric), behavior, out));
            }
            case "Metaspace" -> metaspace(node);
            case "Whitespace" -> regexSplit(Regexes.compile("\\w+|[^\\w\\s]+"), true, Splitter.Behavior.REMOVED);
            case "WhitespaceSplit" -> perPiece((s, out) ->
                    Splitter.split(s, Splitter.charSpans(s, Chars::isWhiteSpace), Splitter.Behavior.REMOVED, out));
            case "BertPreTokenizer" -> bert();
            default -> throw new IllegalArgumentException("unsupported pre_tokenizer type '" + type + "'");
        };
    }

    /** A pre-tokenizer that treats each piece on its own. */
    interface PieceSplit {
        void split(String piece, List<String> out);
    }

    static PreTokenizer perPiece(PieceSplit f) {
        return (pieces, first) -> {
            List<String> out = new ArrayList<>(pieces.size() * 2);
            for (String p : pieces) f.split(p, out);
            return out;
        };
    }

    static PreTokenizer sequence(List<PreTokenizer> parts) {
        return (pieces, first) -> {
            for (PreTokenizer p : parts) pieces = p.split(pieces, first);
            return pieces;
        };
    }

    static PreTokenizer regexSplit(Pattern regex, boolean invert, Splitter.Behavior behavior) {
        return perPiece((s, out) -> Splitter.split(s, Splitter.regexSpans(s, regex, invert), behavior, out));
    }

    /** GPT-2's byte-level step: optional prefix space, optional regex split, then bytes as printable chars. */
    static PreTokenizer byteLevel(boolean addPrefixSpace, boolean useRegex) {
        Pattern regex = Regexes.compile(Regexes.GPT2);
        return (pieces, first) -> {
            List<String> out = new ArrayList<>(pieces.size() * 2);
            for (String p : pieces) {
                if (addPrefixSpace && !p.startsWith(" ")) p = " " + p;
                if (useRegex) Splitter.split(p, Splitter.regexSpans(p, regex, false), Splitter.Behavior.ISOLATED, out);
                else if (!p.isEmpty()) out.add(p);
            }
            out.replaceAll(ByteLevel::encode);
            return out;
        };
    }

    private static PreTokenizer metaspace(JsonNode node) {
        String replacement = node.path("replacement").asText("\u2581");
        String scheme = node.has("prepend_scheme") ? node.get("prepend_scheme").asText()
                : node.path("add_prefix_space").asBoolean(true) ? "always" : "never";
        boolean split = node.path("split").asBoolean(true);
        return (pieces, first) -> {
            List<String> out = new ArrayList<>(pieces.size() * 2);
            for (int i = 0; i < pieces.size(); i++) {
                String p = pieces.get(i).replace(" ", replacement);
                boolean prepend = switch (scheme) {
                    case "always" -> !p.startsWith(replacement);
                    case "first" -> i == 0 && first && !p.startsWith(replacement);
                    default -> false;
                };
                if (prepend) p = replacement + p;
                if (split) Splitter.split(p, Splitter.literalSpans(p, replacement, false), Splitter.Behavior.MERGED_WITH_NEXT, out);
                else if (!p.isEmpty()) out.add(p);
            }
            return out;
        };
    }

    /** BERT: split on white space (dropped) and on punctuation (kept as single characters). */
    static PreTokenizer bert() {
        return perPiece((s, out) -> {
            List<String> words = new ArrayList<>();
            Splitter.split(s, Splitter.charSpans(s, Chars::isWhiteSpace), Splitter.Behavior.REMOVED, words);
            for (String w : words) Splitter.split(w, Splitter.charSpans(w, Chars::isPunctuation), Splitter.Behavior.ISOLATED, out);
        });
    }
}
