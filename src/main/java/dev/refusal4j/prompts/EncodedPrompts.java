package dev.refusal4j.prompts;

import dev.refusal4j.chat.PromptEncoder;

import java.util.ArrayList;
import java.util.List;

/** Prompts with their chat-template token ids, rendered and tokenized once and reused by every stage. */
public record EncodedPrompts(List<Prompt> prompts, List<int[]> ids) {
    public static EncodedPrompts of(List<Prompt> prompts, PromptEncoder encoder) {
        List<int[]> ids = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) ids.add(encoder.encode(p.instruction()));
        return new EncodedPrompts(List.copyOf(prompts), List.copyOf(ids));
    }

    public int size() {
        return prompts.size();
    }

    /** The prompts whose flag is set, in order. */
    public EncodedPrompts keep(boolean[] keep) {
        if (keep.length != prompts.size()) throw new IllegalArgumentException(prompts.size() + " prompts but " + keep.length + " flags");
        List<Prompt> p = new ArrayList<>();
        List<int[]> i = new ArrayList<>();
        for (int k = 0; k < keep.length; k++) {
            if (!keep[k]) continue;
            p.add(prompts.get(k));
            i.add(ids.get(k));
        }
        return new EncodedPrompts(List.copyOf(p), List.copyOf(i));
    }
}
