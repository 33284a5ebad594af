package dev.refusal4j.tokenizer;

import java.util.List;

/**
 * The Hugging Face pre-tokenization of each model family that llama.cpp names in
 * {@code tokenizer.ggml.pre}, so a GGUF vocabulary tokenizes as the model's own tokenizer.json.
 */
final class PreTokenizers {
    private PreTokenizers() {}

    record Family(Normalizer normalizer, PreTokenizer preTokenizer, boolean ignoreMerges) {}

    private static final Normalizer NFC = text -> java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);

    static Family family(String pre) {
        return switch (pre) {
            case "default", "gpt-2", "gpt2", "jais", "olmo", "phi-2" ->
                    new Family(Normalizer.IDENTITY, PreTokenizer.byteLevel(false, true), false);
            case "mpt", "gpt-neox" -> new Family(NFC, PreTokenizer.byteLevel(false, true), false);
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" ->
                    new Family(Normalizer.IDENTITY, PreTokenizer.sequence(List.of(
                            digits(true), PreTokenizer.byteLevel(false, true))), false);
            case "falcon" -> new Family(Normalizer.IDENTITY, PreTokenizer.sequence(List.of(
                    PreTokenizer.perPiece((s, out) -> Splitter.split(s, Splitter.charSpans(s, Chars::isPunctuation), Splitter.Behavior.CONTIGUOUS, out)),
                    PreTokenizer.byteLevel(false, true),
                    digits(false),
                    split("[0-9][0-9][0-9]"))), false);
            case "deepseek-coder" -> new Family(Normalizer.IDENTITY, PreTokenizer.sequence(List.of(
                    split("[\r\n]"), split("\\s?\\p{L}+"), split("\\s?\\p{P}+"), split("[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"),
                    digits(true), PreTokenizer.byteLevel(false, false))), false);
            case "deepseek-llm" -> new Family(Normalizer.IDENTITY, PreTokenizer.sequence(List.of(
                    split("[\r\n]"),
                    split("\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\uD801\uDC00-\uD801\uDC4F\uD801\uDCB0-\uD801\uDCD3\uD801\uDCD8-\uD801\uDCFB\uD803\uDC80-\uD803\uDCB2\uD803\uDCC0-\uD803\uDCF2\uD806\uDCA0-\uD806\uDCDF\uD83A\uDD00-\uD83A\uDD43]+"),
                    split("\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+"),
                    split("\\s+$"),
                    split("[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"),
                    digits(false), PreTokenizer.byteLevel(false, false))), false);
            case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe" -> new Family(Normalizer.IDENTITY,
                    PreTokenizer.sequence(List.of(split(Regexes.LLAMA3), PreTokenizer.byteLevel(false, false))), true);
            case "tekken" -> new Family(Normalizer.IDENTITY, PreTokenizer.sequence(List.of(split(TEKKEN), PreTokenizer.byteLevel(false, false))), true);
            case "qwen2", "deepseek-r1-qwen", "stablelm2" -> new Family(NFC,
                    PreTokenizer.sequence(List.of(split(Regexes.QWEN2), PreTokenizer.byteLevel(false, false))), false);
            default -> throw new IllegalArgumentException("tokenizer.ggml.pre '" + pre + "' is not supported");
        };
    }

    /** Mistral's Tekken split pattern (Mistral NeMo), as its tokenizer.json writes it. */
    static final String TEKKEN = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static PreTokenizer split(String regex) {
        return PreTokenizer.regexSplit(Regexes.compile(regex), false, Splitter.Behavior.ISOLATED);
    }

    private static PreTokenizer digits(boolean individual) {
        Splitter.Behavior b = individual ? Splitter.Behavior.ISOLATED : Splitter.Behavior.CONTIGUOUS;
        return PreTokenizer.perPiece((s, out) -> Splitter.split(s, Splitter.charSpans(s, Chars::isNumeric), b, out));
    }
}
