package dev.refusal4j.generate;

import java.util.List;

/**
 * Stop strings in decoded text, as OpenAI's {@code stop} and Hugging Face's {@code stop_strings}
 * treat them: the answer ends before the first one, and while streaming, the tail that could still
 * become one is held back.
 */
public final class StopStrings {
    private StopStrings() {}

    /** Where the first stop string begins in {@code text}, or −1 (none given, or none found). */
    public static int first(CharSequence text, List<String> stops) {
        int best = -1;
        if (stops == null) return best;
        String s = text.toString();
        for (String st : stops) {
            int i = st.isEmpty() ? -1 : s.indexOf(st);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest suffix of text that is a proper prefix of some stop string. */
    public static int holdBack(CharSequence text, List<String> stops) {
        int hold = 0;
        if (stops == null) return 0;
        for (String st : stops) {
            for (int k = Math.min(st.length() - 1, text.length()); k > hold; k--) {
                if (text.subSequence(text.length() - k, text.length()).toString().equals(st.substring(0, k))) {
                    hold = k;
                    break;
                }
            }
        }
        return hold;
    }
}
