/**
 * Tokenizers with Hugging Face's ids, in plain Java.
 *
 * <p>{@link dev.refusal4j.tokenizer.Tokenizer#load} reads a model folder's {@code tokenizer.json},
 * else {@code vocab.json} + {@code merges.txt} (+ {@code tokenizer_config.json}), else a
 * SentencePiece {@code tokenizer.model}, else a {@code *.tiktoken} file; or the vocabulary in a
 * GGUF file. Every format is turned into one {@code PipelineTokenizer}, the stages of Hugging
 * Face's tokenizers: added tokens cut out of the raw text, normalizer, normalized added tokens,
 * pre-tokenizer, model (ranked BPE, score-ordered SentencePiece BPE, WordPiece), post-processor;
 * and a decoder chain for the way back.
 *
 * <p>Parity is measured by the tests against the expected ids in {@code ../shared/tokenizers}
 * and, on a seeded corpus, against Hugging Face's Rust library itself (test scope only).
 */
package dev.refusal4j.tokenizer;
