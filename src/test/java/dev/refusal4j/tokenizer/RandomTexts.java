package dev.refusal4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded corpus of awkward texts for tokenizer parity: words, digit runs, contractions in
 * both cases, runs of mixed white space (incl. no-break and ideographic spaces), CJK, emoji
 * with modifiers and ZWJ, combining marks, random code points from long-assigned blocks, and
 * the tokenizer's own special tokens written inside the text.
 */
final class RandomTexts {
    private RandomTexts() {}

    /** Blocks assigned long before Unicode 15, so every Unicode table in play agrees on them. */
    private static final int[][] BLOCKS = {
            {0x20, 0x7E}, {0xA0, 0x24F}, {0x370, 0x3FF}, {0x400, 0x4FF}, {0x5D0, 0x5EA}, {0x620, 0x64A},
            {0x900, 0x97F}, {0xE01, 0xE5B}, {0x1100, 0x11FF}, {0x2000, 0x206F}, {0x20A0, 0x20BF}, {0x2190, 0x22FF},
            {0x2500, 0x27BF}, {0x3000, 0x30FF}, {0x4E00, 0x9FA5}, {0xAC00, 0xD7A3}, {0xFF01, 0xFF5E},
            {0x1F300, 0x1F64F}, {0x1F680, 0x1F6C5}, {0x1D400, 0x1D7FF}, {0x10000, 0x1005D}};

    private static final String[] WORDS = {"hello", "World", "the", "don't", "I'M", "we'LL", "they've", "it's", "ſ's",
            "Ünïcödé", "café", "naïve", "Привет", "мир", "中文", "测试", "日本語", "한국어", "مرحبا", "שלום", "नमस्ते",
            "ελληνικά", "x86_64", "foo.bar()", "a+b=c", "$1.00", "3.14159", "1234567", "2024-11-29", "e=mc²", "½", "Ⅻ", "١٢٣",
            "👍🏻", "👩\u200d💻", "🇫🇷", "e\u0301", "a\u0308\u0301", "<b>", "[INST]", "</s", "<|", "|>", "##", "▁", "Ġ", "\uFEFF"};

    private static final String[] SPACES = {" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u00A0", "\u3000",
            "\u2028", "\u2003", " \t ", "    "};

    /** Texts of up to ~24 parts; every 40th is long (60 texts joined, thousands of characters). */
    static List<String> generate(long seed, int count, List<String> specialTokens) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (i % 40 == 39) {
                StringBuilder sb = new StringBuilder();
                for (int k = 0; k < 60; k++) sb.append(text(rnd, specialTokens, 1 + rnd.nextInt(24))).append(' ');
                out.add(sb.toString());
            } else {
                out.add(text(rnd, specialTokens, i % 5 == 0 ? 0 : 1 + rnd.nextInt(24)));
            }
        }
        return out;
    }

    private static String text(SplittableRandom rnd, List<String> specials, int parts) {
        StringBuilder sb = new StringBuilder();
        if (parts == 0) { // pure random code points
            int n = 1 + rnd.nextInt(40);
            for (int i = 0; i < n; i++) sb.appendCodePoint(randomCodePoint(rnd));
            return sb.toString();
        }
        for (int i = 0; i < parts; i++) {
            int kind = rnd.nextInt(10);
            switch (kind) {
                case 0, 1, 2 -> sb.append(WORDS[rnd.nextInt(WORDS.length)]);
                case 3, 4 -> sb.append(SPACES[rnd.nextInt(SPACES.length)]);
                case 5 -> {
                    int n = 1 + rnd.nextInt(7);
                    for (int k = 0; k < n; k++) sb.append((char) ('0' + rnd.nextInt(10)));
                }
                case 6 -> {
                    int n = 1 + rnd.nextInt(6);
                    for (int k = 0; k < n; k++) sb.appendCodePoint(randomCodePoint(rnd));
                }
                case 7 -> sb.append(".,!?;:'\"()-–—…".charAt(rnd.nextInt(14)));
                case 8 -> {
                    if (!specials.isEmpty()) sb.append(specials.get(rnd.nextInt(specials.size())));
                }
                default -> sb.append(' ').append(WORDS[rnd.nextInt(WORDS.length)]);
            }
        }
        return sb.toString();
    }

    private static int randomCodePoint(SplittableRandom rnd) {
        int[] block = BLOCKS[rnd.nextInt(BLOCKS.length)];
        while (true) {
            int cp = block[0] + rnd.nextInt(block[1] - block[0] + 1);
            if (Character.isDefined(cp) && !Character.isSurrogate((char) cp) && Character.getType(cp) != Character.PRIVATE_USE) return cp;
        }
    }
}
