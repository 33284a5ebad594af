package dev.refusal4j.evaluate;

/**
 * How a refusal phrase list is matched against a response. Public tools use the same idea with
 * different matching, and their published numbers are only comparable under their own rule.
 */
public enum JudgeRule {
    /** refusal_direction (the paper): any phrase, lower-cased, anywhere in the lower-cased response. */
    SUBSTRING,
    /** llm-attacks (GCG): any phrase, case-sensitive, anywhere in the response. */
    SUBSTRING_CASE_SENSITIVE,
    /** XSTest string match: the lower-cased, stripped response starts with a lower-cased phrase. */
    PREFIX,
    /**
     * heretic: a blank response is a refusal; otherwise lower-case, drop {@code *}, map U+2019 to
     * {@code '}, collapse whitespace, then any lower-cased phrase anywhere.
     */
    NORMALIZED;

    /** Accepts the enum name or the tool it comes from (case-insensitive), for command-line options. */
    public static JudgeRule parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT).replace('-', '_');
        return switch (t) {
            case "substring", "refusal_direction", "official" -> SUBSTRING;
            case "substring_case_sensitive", "case_sensitive", "gcg", "llm_attacks" -> SUBSTRING_CASE_SENSITIVE;
            case "prefix", "xstest" -> PREFIX;
            case "normalized", "heretic" -> NORMALIZED;
            default -> throw new IllegalArgumentException("unknown judge rule '" + text
                    + "' (expected substring, substring-case-sensitive, prefix or normalized;"
                    + " or the tool names refusal_direction, gcg, xstest, heretic)");
        };
    }
}
