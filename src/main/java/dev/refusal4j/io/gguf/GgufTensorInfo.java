package dev.refusal4j.io.gguf;

/**
 * Where a tensor lies in a GGUF file.
 *
 * @param dims   sizes, innermost first (GGUF's order: ne[0] is the row length)
 * @param type   ggml type number (0 F32, 1 F16, 2 Q4_0, 8 Q8_0, 30 BF16, ...)
 * @param offset byte offset relative to the start of the tensor data section
 */
public record GgufTensorInfo(String name, long[] dims, int type, long offset) {}
