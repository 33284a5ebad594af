package dev.refusal4j.io;

import dev.refusal4j.tensor.Matrix;

import java.nio.file.Path;

/**
 * A model's weights under their Hugging Face names, whatever holds them: a folder's safetensors
 * ({@link ModelFiles}), or a GGUF file ({@code io.gguf.GgufModel}) shown as the checkpoint it was
 * converted from. Every shape is checked when a tensor is taken; a missing tensor or a wrong shape
 * is a {@link ModelFormatException} naming the file and the tensor as that file names it.
 */
public interface TensorSource extends AutoCloseable {
    /** The folder or file the weights come from. */
    Path path();

    /** Tensor names (Hugging Face's), sorted. */
    Iterable<String> names();

    boolean has(String name);

    /**
     * The tensor as a [rows, cols] matrix (a 1-D tensor is one row) whose shape must be exactly
     * {@code expected}, in a dtype the kernels read.
     */
    Matrix matrix(String name, long... expected);

    /** A small tensor (norm weight, bias) as F32 on the heap, its shape checked as by {@link #matrix}. */
    float[] floats(String name, long... expected);

    /**
     * The error for a tensor the model does not use: the file, the tensor as the file names it, its
     * type and shape, {@code context} (what the model is), and what to check.
     */
    ModelFormatException unexpected(String name, String context);

    /** Throws a {@link ModelFormatException} naming the first tensor (in name order) that holds a NaN or an infinity. */
    void requireFinite();

    @Override
    void close();
}
