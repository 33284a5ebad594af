package dev.refusal4j.io.gguf;

/** The value types of GGUF metadata (their numbers are part of the file format). */
public enum GgufType {
    UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64;

    /** Size in bytes of a fixed-size value, or -1 for STRING and ARRAY. */
    int size() {
        return switch (this) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64 -> 8;
            case STRING, ARRAY -> -1;
        };
    }
}
