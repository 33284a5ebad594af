package dev.refusal4j.serve;

import dev.refusal4j.generate.Generator;
import dev.refusal4j.generate.SamplingOptions;
import dev.refusal4j.model.Hooks;
import dev.refusal4j.model.Transformer;
import dev.refusal4j.tokenizer.StreamingDecoder;
import dev.refusal4j.tokenizer.Tokenizer;

import java.util.List;
import java.util.function.Consumer;

/**
 * Token ids in, text out, for one answer: what {@code generate.TextGenerator} does after it has
 * rendered and tokenized a conversation, so that the chat endpoint (ids of the rendered template)
 * and the completions endpoint (ids of the raw prompt) share one decoding path. Stop strings and
 * the streamed text behave as {@code TextGenerator}'s: the text is cut before the first stop string,
 * and text that could still become one is held back from the stream.
 */
final class TokenGenerator {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final int[] stopIds;

    TokenGenerator(Transformer model, Tokenizer tokenizer, int[] stopIds) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.stopIds = stopIds;
    }

    /** The answer's text (cut before a stop string) and how many tokens were generated. */
    record Output(String text, int tokens) {}

    /**
     * @param maxNewTokens at most this many tokens; the caller keeps prompt + answer within the context
     * @param stream       after every token, the new text decoded (never half a character; often empty), so that
     *                     it can also stop the generation by throwing; may be null
     */
    Output generate(int[] prompt, int maxNewTokens, SamplingOptions sampling, List<String> stopStrings, Hooks hooks, Consumer<String> stream) {
        StreamingDecoder dec = new StreamingDecoder(tokenizer, true);
        StringBuilder text = new StringBuilder();
        int[] emitted = {0};
        boolean[] cut = {false};
        int[] ids = new Generator(model).generate(List.of(prompt), maxNewTokens, stopIds, sampling, hooks, (b, id) -> {
            text.append(dec.next(id));
            int stopAt = firstStop(text, stopStrings);
            if (stopAt >= 0) {
                text.setLength(stopAt);
                cut[0] = true;
            }
            int safe = cut[0] ? text.length() : text.length() - holdBack(text, stopStrings);
            if (stream != null) {
                stream.accept(safe > emitted[0] ? text.substring(emitted[0], safe) : "");
                emitted[0] = Math.max(emitted[0], safe);
            }
            return !cut[0];
        }).getFirst();
        if (!cut[0]) text.append(dec.flush());
        if (stream != null && text.length() > emitted[0]) stream.accept(text.substring(emitted[0]));
        return new Output(text.toString(), ids.length);
    }

    private static int firstStop(CharSequence text, List<String> stops) {
        int best = -1;
        String s = text.toString();
        for (String st : stops) {
            int i = st.isEmpty() ? -1 : s.indexOf(st);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest suffix of text that is a proper prefix of some stop string. */
    private static int holdBack(CharSequence text, List<String> stops) {
        int hold = 0;
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
