package dev.refusal4j.organism.bpe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deliberately plain BPE encoder for tests, built only from a written tokenizer.json: split out the
 * added tokens, pre-tokenize with the file's regex, map bytes with its own copy of GPT-2's table, then
 * repeatedly merge the adjacent pair of lowest rank. Slow and simple on purpose.
 */
final class ReferenceBpe {
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<Integer, String> byId = new HashMap<>();
    private final Map<String, Integer> rank = new HashMap<>();
    private final Map<String, Integer> added = new HashMap<>();
    private final Pattern split;
    private final char[] byteToChar = new char[256];
    private final Map<Character, Integer> charToByte = new HashMap<>();

    ReferenceBpe(Path tokenizerJson) throws IOException {
        JsonNode root = new ObjectMapper().readTree(tokenizerJson.toFile());
        root.get("model").get("vocab").properties().forEach(e -> {
            vocab.put(e.getKey(), e.getValue().asInt());
            byId.put(e.getValue().asInt(), e.getKey());
        });
        JsonNode merges = root.get("model").get("merges");
        for (int i = 0; i < merges.size(); i++) rank.putIfAbsent(merges.get(i).asText(), i);
        for (JsonNode t : root.get("added_tokens")) {
            added.put(t.get("content").asText(), t.get("id").asInt());
            byId.put(t.get("id").asInt(), t.get("content").asText());
        }
        String regex = root.get("pre_tokenizer").get("pretokenizers").get(0).get("pattern").get("Regex").asText();
        split = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        // GPT-2 bytes_to_unicode, written out again here.
        List<Integer> keep = new ArrayList<>();
        for (int b = 33; b <= 126; b++) keep.add(b);
        for (int b = 161; b <= 172; b++) keep.add(b);
        for (int b = 174; b <= 255; b++) keep.add(b);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            byteToChar[b] = keep.contains(b) ? (char) b : (char) (256 + n++);
            charToByte.put(byteToChar[b], b);
        }
    }

    List<Integer> encode(String text) {
        List<Integer> ids = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int next = text.length();
            String found = null;
            for (String s : added.keySet()) {
                int at = text.indexOf(s, start);
                if (at >= 0 && at < next) { next = at; found = s; }
            }
            encodeOrdinary(text.substring(start, next), ids);
            if (found == null) break;
            ids.add(added.get(found));
            start = next + found.length();
        }
        return ids;
    }

    private void encodeOrdinary(String text, List<Integer> ids) {
        Matcher m = split.matcher(text);
        while (m.find()) {
            List<String> symbols = new ArrayList<>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) symbols.add(String.valueOf(byteToChar[b & 0xFF]));
            while (symbols.size() > 1) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    Integer r = rank.get(symbols.get(i) + " " + symbols.get(i + 1));
                    if (r != null && r < bestRank) { bestRank = r; best = i; }
                }
                if (best < 0) break;
                symbols.set(best, symbols.get(best) + symbols.remove(best + 1));
            }
            for (String s : symbols) ids.add(vocab.get(s));
        }
    }

    String decode(List<Integer> ids) {
        StringBuilder text = new StringBuilder();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            String t = byId.get(id);
            if (added.containsKey(t)) {
                text.append(bytes.toString(StandardCharsets.UTF_8)).append(t);
                bytes.reset();
            } else {
                for (char c : t.toCharArray()) bytes.write(charToByte.get(c));
            }
        }
        return text.append(bytes.toString(StandardCharsets.UTF_8)).toString();
    }
}
