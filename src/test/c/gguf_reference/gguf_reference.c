// Reference data for refusal4j's GGUF reader and dequantization tests, computed by ggml itself.
//
// Writes into OUT_DIR (src/test/resources/gguf):
//   ggml-types.json      every ggml type: id, name, block size, block bytes (ggml_get_type_traits)
//   quant/<type>.json    per supported type, cases of a few blocks: the input floats (when the
//                        blocks come from ggml's reference quantizer, from_float_ref =
//                        quantize_row_*_ref), the raw blocks, and ggml's to_float output
//                        (dequantize_row_*); floats as hex of their little-endian bytes
//   quant-random/<type>.json  per supported type, blocks of seeded random floats of six
//                        distributions and the blocks ggml's reference quantizer makes of them
//                        (input and blocks only), for the quantizer tests
//   tiny.gguf            a small GGUF v3 file written with the gguf API: every metadata value type,
//                        arrays of each, general.alignment, one tensor of each supported type
//   tiny.gguf.json       that file as ggml reads it back (gguf_init_from_file): keys, types and
//                        values, data offset, tensor infos, and each tensor dequantized by ggml
//
// Every number comes from a fixed-seed generator, so a rerun on the same ggml commit gives the same
// bytes. It is compiled against ggml's ggml-base library built without -march=native and with
// -ffp-contract=off, so `d * q - m` is two roundings as the C source reads (an FMA build of ggml
// would contract some of them). See README.md beside this file.

#include "ggml.h"
#include "gguf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---------------------------------------------------------------- deterministic numbers

static uint64_t rng_state = 0x5EED2024ULL;

static uint64_t next_u64(void) { // splitmix64
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(void) { return (double) (next_u64() >> 11) * 0x1.0p-53; }

static float gaussian(void) { // Box-Muller
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return (float) (sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

// ---------------------------------------------------------------- output helpers

static void die(const char * what) {
    fprintf(stderr, "gguf_reference: %s\n", what);
    exit(1);
}

static void hex(FILE * f, const void * data, size_t n) {
    const uint8_t * b = data;
    fputc('"', f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
    fputc('"', f);
}

static void json_string(FILE * f, const char * s) {
    fputc('"', f);
    for (const unsigned char * p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static uint32_t f32_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }

static uint64_t f64_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }

// ---------------------------------------------------------------- per-type cases

static const enum ggml_type SUPPORTED[] = {
    GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
    GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q2_K, GGML_TYPE_Q3_K, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K,
    GGML_TYPE_Q6_K,
};
#define N_SUPPORTED (sizeof(SUPPORTED) / sizeof(SUPPORTED[0]))

// ggml's row dequantization; F32 has no to_float (a row of F32 is itself)
static void to_float(enum ggml_type type, const void * blocks, float * out, int64_t n) {
    if (type == GGML_TYPE_F32) { memcpy(out, blocks, (size_t) n * 4); return; }
    ggml_get_type_traits(type)->to_float(blocks, out, n);
}

static void from_float(enum ggml_type type, const float * in, void * blocks, int64_t n) {
    if (type == GGML_TYPE_F32) { memcpy(blocks, in, (size_t) n * 4); return; }
    ggml_get_type_traits(type)->from_float_ref(in, blocks, n);
}

static int all_finite(const float * x, int64_t n) {
    for (int64_t i = 0; i < n; i++) if (!isfinite(x[i])) return 0;
    return 1;
}

static int first_case;

static void write_case(FILE * f, enum ggml_type type, const char * name, const float * input,
                       const void * blocks, int64_t n) {
    size_t nbytes = ggml_row_size(type, n);
    float * out = malloc((size_t) n * 4);
    to_float(type, blocks, out, n);
    fprintf(f, "%s\n    {\"name\": ", first_case ? "" : ",");
    first_case = 0;
    json_string(f, name);
    fprintf(f, ", \"elements\": %lld,\n     \"from\": ", (long long) n);
    if (input) {
        char from[64];
        snprintf(from, sizeof from, "quantize_row_%s_ref", ggml_type_name(type));
        json_string(f, from);
        fprintf(f, ",\n     \"input\": ");
        hex(f, input, (size_t) n * 4);
    } else {
        json_string(f, "raw bytes");
    }
    fprintf(f, ",\n     \"blocks\": ");
    hex(f, blocks, nbytes);
    fprintf(f, ",\n     \"output\": ");
    hex(f, out, (size_t) n * 4);
    fprintf(f, "}");
    free(out);
}

// a case quantized from floats by ggml's reference quantizer
static void quantized_case(FILE * f, enum ggml_type type, const char * name, const float * input, int64_t n) {
    void * blocks = calloc(1, ggml_row_size(type, n));
    from_float(type, input, blocks, n);
    write_case(f, type, name, input, blocks, n);
    free(blocks);
}

// random bytes as blocks: every bit pattern of scales, signs and quants; redrawn until ggml's
// output is finite, so the test can compare every float bit for bit (NaN payloads aside)
static void raw_case(FILE * f, enum ggml_type type, const char * name, int64_t n) {
    size_t nbytes = ggml_row_size(type, n);
    uint8_t * blocks = malloc(nbytes);
    float * out = malloc((size_t) n * 4);
    for (int tries = 0; ; tries++) {
        if (tries > 1000) die("no finite random blocks");
        for (size_t i = 0; i < nbytes; i++) blocks[i] = (uint8_t) next_u64();
        to_float(type, blocks, out, n);
        if (all_finite(out, n)) break;
    }
    write_case(f, type, name, NULL, blocks, n);
    free(out);
    free(blocks);
}

static void float_type_patterns(FILE * f, enum ggml_type type) {
    // 16-bit patterns: a stride through all 65536 plus the special ones; for F32 the same
    // patterns in the upper half (so NaN and infinity bits appear there too)
    static const uint16_t special[] = {0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0x7BFF,
                                       0x7C00, 0xFC00, 0x7C01, 0x7E00, 0x7FFF, 0xFC01, 0xFE00, 0xFFFF,
                                       0x7F80, 0xFF80, 0x7F81, 0x7FC0, 0x0080, 0x007F};
    int n16 = 0;
    uint16_t pats[2048];
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) pats[n16++] = special[i];
    for (uint32_t p = 7; p < 65536; p += 41) pats[n16++] = (uint16_t) p;
    if (type == GGML_TYPE_F32) {
        uint32_t * w = malloc((size_t) n16 * 4);
        for (int i = 0; i < n16; i++) w[i] = ((uint32_t) pats[i] << 16) | (uint32_t) (next_u64() & 0xFFFF);
        write_case(f, type, "bit patterns", NULL, w, n16);
        free(w);
    } else {
        write_case(f, type, "bit patterns", NULL, pats, n16);
    }
}

static void type_cases(const char * dir, enum ggml_type type) {
    const struct ggml_type_traits * tt = ggml_get_type_traits(type);
    char path[1024];
    snprintf(path, sizeof path, "%s/quant/%s.json", dir, tt->type_name);
    FILE * f = fopen(path, "w");
    if (!f) die(path);
    const int64_t qk = tt->blck_size;
    // floats: 64 values per "block" of a case so a case is several rows' worth
    const int64_t blk = qk == 1 ? 64 : qk;
    fprintf(f, "{\"type\": \"%s\", \"id\": %d, \"block_elements\": %lld, \"block_bytes\": %zu,\n \"cases\": [",
            tt->type_name, (int) type, (long long) qk, tt->type_size);
    first_case = 1;

    float * x = malloc((size_t) (4 * blk) * 4);

    for (int64_t i = 0; i < blk; i++) x[i] = 0.0f;
    quantized_case(f, type, "zeros", x, blk);

    for (int64_t i = 0; i < 2 * blk; i++) x[i] = gaussian();
    quantized_case(f, type, "normal", x, 2 * blk);

    // sub-blocks of very different size: the 4- and 6-bit scales and mins of the K types
    for (int64_t i = 0; i < blk; i++) x[i] = gaussian() * powf(10.0f, (float) ((i / 16) % 8) - 4.0f);
    quantized_case(f, type, "sub-block magnitudes", x, blk);

    for (int64_t i = 0; i < blk; i++) x[i] = 5.0f + 2.0f * (float) uniform();
    quantized_case(f, type, "all positive", x, blk);

    for (int64_t i = 0; i < blk; i++) x[i] = -5.0f - 2.0f * (float) uniform();
    quantized_case(f, type, "all negative", x, blk);

    // the largest value positive: the reference quantizers of Q4_0/Q5_0 then store a negative d
    for (int64_t i = 0; i < blk; i++) x[i] = gaussian();
    x[blk / 3] = 9.0f;
    quantized_case(f, type, "positive outlier", x, blk);

    for (int64_t i = 0; i < blk; i++) {
        float v = gaussian() * 20000.0f;
        x[i] = v > 65000.0f ? 65000.0f : v < -65000.0f ? -65000.0f : v;
    }
    quantized_case(f, type, "large", x, blk);

    for (int64_t i = 0; i < blk; i++) x[i] = gaussian() * 1e-6f; // F16 scales become subnormal
    quantized_case(f, type, "tiny", x, blk);

    if (qk == 1) {
        for (int64_t i = 0; i < blk; i++) x[i] = gaussian() * 1e6f; // beyond F16's range
        quantized_case(f, type, "beyond f16 range", x, blk);
        float_type_patterns(f, type);
    } else {
        raw_case(f, type, "random bytes", 3 * qk);
    }

    fprintf(f, "\n]}\n");
    fclose(f);
    free(x);
}

// ---------------------------------------------------------------- random blocks for the quantizers

#define RANDOM_BLOCKS_PER_KIND 6

static const char * RANDOM_KINDS[] = {
    "gaussian, block scale 1e-4..1e2", "uniform", "heavy-tailed (gaussian cubed)", "sparse (3 in 4 zero)",
    "shifted (mean 3 sd)", "sub-blocks of 16 with scales 1e-3..1e1",
};

static float random_value(int kind, int64_t i, float block_scale, const float * sub_scale) {
    switch (kind) {
        case 0: return gaussian() * block_scale;
        case 1: return (float) (2.0 * uniform() - 1.0) * block_scale;
        case 2: { float g = gaussian(); return g * g * g * block_scale; }
        case 3: return uniform() < 0.75 ? 0.0f : gaussian() * block_scale;
        case 4: return (gaussian() + 3.0f) * block_scale;
        default: return gaussian() * sub_scale[(i / 16) % 16];
    }
}

// blocks of random floats quantized by ggml's reference quantizer; each block has its own scale
static void random_cases(const char * dir, enum ggml_type type) {
    const struct ggml_type_traits * tt = ggml_get_type_traits(type);
    char path[1024];
    snprintf(path, sizeof path, "%s/quant-random/%s.json", dir, tt->type_name);
    FILE * f = fopen(path, "w");
    if (!f) die(path);
    const int64_t qk = tt->blck_size == 1 ? 64 : tt->blck_size;
    const int64_t n = qk * RANDOM_BLOCKS_PER_KIND;
    fprintf(f, "{\"type\": \"%s\", \"id\": %d, \"block_elements\": %lld, \"block_bytes\": %zu,\n \"cases\": [",
            tt->type_name, (int) type, (long long) tt->blck_size, tt->type_size);
    float * x = malloc((size_t) n * 4);
    void * blocks = malloc(ggml_row_size(type, n));
    for (int kind = 0; kind < (int) (sizeof RANDOM_KINDS / sizeof RANDOM_KINDS[0]); kind++) {
        for (int64_t b = 0; b < RANDOM_BLOCKS_PER_KIND; b++) {
            float block_scale = powf(10.0f, (float) (6.0 * uniform() - 4.0));
            float sub_scale[16];
            for (int s = 0; s < 16; s++) sub_scale[s] = powf(10.0f, (float) (4.0 * uniform() - 3.0));
            for (int64_t i = 0; i < qk; i++) x[b * qk + i] = random_value(kind, i, block_scale, sub_scale);
        }
        from_float(type, x, blocks, n);
        fprintf(f, "%s\n    {\"name\": ", kind ? "," : "");
        json_string(f, RANDOM_KINDS[kind]);
        fprintf(f, ", \"elements\": %lld,\n     \"input\": ", (long long) n);
        hex(f, x, (size_t) n * 4);
        fprintf(f, ",\n     \"blocks\": ");
        hex(f, blocks, ggml_row_size(type, n));
        fprintf(f, "}");
    }
    fprintf(f, "\n]}\n");
    fclose(f);
    free(blocks);
    free(x);
}

static void types_table(const char * dir) {
    char path[1024];
    snprintf(path, sizeof path, "%s/ggml-types.json", dir);
    FILE * f = fopen(path, "w");
    if (!f) die(path);
    fprintf(f, "[");
    for (int t = 0; t < GGML_TYPE_COUNT; t++) {
        const struct ggml_type_traits * tt = ggml_get_type_traits((enum ggml_type) t);
        fprintf(f, "%s\n {\"id\": %d, \"name\": ", t ? "," : "", t);
        json_string(f, tt->type_name ? tt->type_name : "");
        fprintf(f, ", \"block_elements\": %lld, \"block_bytes\": %zu}", (long long) tt->blck_size, tt->type_size);
    }
    fprintf(f, "\n]\n");
    fclose(f);
}

// ---------------------------------------------------------------- tiny.gguf

struct tensor_spec { enum ggml_type type; int n_dims; int64_t ne[4]; };

static const struct tensor_spec TENSORS[] = {
    {GGML_TYPE_F32,  1, {7, 1, 1, 1}},
    {GGML_TYPE_F16,  2, {5, 3, 1, 1}},
    {GGML_TYPE_BF16, 3, {4, 3, 2, 1}},
    {GGML_TYPE_Q8_0, 2, {64, 3, 1, 1}},
    {GGML_TYPE_Q4_0, 2, {32, 2, 1, 1}},
    {GGML_TYPE_Q4_1, 3, {32, 1, 2, 1}},
    {GGML_TYPE_Q5_0, 1, {96, 1, 1, 1}},
    {GGML_TYPE_Q5_1, 2, {32, 2, 1, 1}},
    {GGML_TYPE_Q2_K, 2, {256, 2, 1, 1}},
    {GGML_TYPE_Q3_K, 1, {256, 1, 1, 1}},
    {GGML_TYPE_Q4_K, 2, {512, 2, 1, 1}},
    {GGML_TYPE_Q5_K, 4, {256, 1, 1, 2}},
    {GGML_TYPE_Q6_K, 2, {256, 2, 1, 1}},
};
#define N_TENSORS (sizeof(TENSORS) / sizeof(TENSORS[0]))

static void write_tiny(const char * path) {
    struct gguf_context * g = gguf_init_empty();
    gguf_set_val_str(g, "general.architecture", "llama");
    gguf_set_val_str(g, "general.name", "refusal4j reference");
    // the gguf API lays tensors out with its default alignment whatever this key says, so it
    // states that default (the Java tests build files with other alignments themselves)
    gguf_set_val_u32(g, "general.alignment", 32);
    gguf_set_val_u8(g, "test.u8", 200);
    gguf_set_val_i8(g, "test.i8", -100);
    gguf_set_val_u16(g, "test.u16", 65000);
    gguf_set_val_i16(g, "test.i16", -32000);
    gguf_set_val_u32(g, "test.u32", 4000000000u);
    gguf_set_val_i32(g, "test.i32", -2000000000);
    gguf_set_val_f32(g, "test.f32", -1.25e-3f);
    gguf_set_val_bool(g, "test.bool", true);
    gguf_set_val_str(g, "test.string", "h\xc3\xa9llo \xe2\x9c\x93 \xe4\xb8\x96\xe7\x95\x8c");
    gguf_set_val_str(g, "test.string.empty", "");
    gguf_set_val_u64(g, "test.u64", UINT64_MAX);
    gguf_set_val_i64(g, "test.i64", INT64_MIN);
    gguf_set_val_f64(g, "test.f64", 1.0 / 3.0);
    {
        uint8_t u8[] = {0, 1, 255};
        int8_t i8[] = {-128, 0, 127};
        uint16_t u16[] = {0, 65535};
        int16_t i16[] = {-32768, 32767};
        uint32_t u32[] = {0, 4294967295u, 7};
        int32_t i32[] = {INT32_MIN, -1, INT32_MAX};
        float f32[] = {0.5f, -0.0f, 3.4028235e38f, 1e-45f};
        bool b[] = {true, false, true};
        uint64_t u64[] = {0, UINT64_MAX};
        int64_t i64[] = {INT64_MIN, INT64_MAX};
        double f64[] = {-2.5, 1e-310};
        const char * str[] = {"a", "", "\xe2\x96\x81token", "<|endoftext|>"};
        gguf_set_arr_data(g, "test.array.u8", GGUF_TYPE_UINT8, u8, 3);
        gguf_set_arr_data(g, "test.array.i8", GGUF_TYPE_INT8, i8, 3);
        gguf_set_arr_data(g, "test.array.u16", GGUF_TYPE_UINT16, u16, 2);
        gguf_set_arr_data(g, "test.array.i16", GGUF_TYPE_INT16, i16, 2);
        gguf_set_arr_data(g, "test.array.u32", GGUF_TYPE_UINT32, u32, 3);
        gguf_set_arr_data(g, "test.array.i32", GGUF_TYPE_INT32, i32, 3);
        gguf_set_arr_data(g, "test.array.f32", GGUF_TYPE_FLOAT32, f32, 4);
        gguf_set_arr_data(g, "test.array.bool", GGUF_TYPE_BOOL, b, 3);
        gguf_set_arr_data(g, "test.array.u64", GGUF_TYPE_UINT64, u64, 2);
        gguf_set_arr_data(g, "test.array.i64", GGUF_TYPE_INT64, i64, 2);
        gguf_set_arr_data(g, "test.array.f64", GGUF_TYPE_FLOAT64, f64, 2);
        gguf_set_arr_str(g, "test.array.string", str, 4);
        gguf_set_arr_data(g, "test.array.empty", GGUF_TYPE_INT32, i32, 0);
    }

    struct ggml_init_params ip = {.mem_size = 1 << 20, .mem_buffer = NULL, .no_alloc = false};
    struct ggml_context * ctx = ggml_init(ip);
    for (size_t i = 0; i < N_TENSORS; i++) {
        const struct tensor_spec * s = &TENSORS[i];
        struct ggml_tensor * t = ggml_new_tensor(ctx, s->type, s->n_dims, s->ne);
        char name[64];
        snprintf(name, sizeof name, "blk.%zu.%s", i, ggml_type_name(s->type));
        ggml_set_name(t, name);
        const int64_t n = ggml_nelements(t);
        float * x = malloc((size_t) n * 4);
        for (int64_t j = 0; j < n; j++) x[j] = gaussian() * (float) (1 + j % 5);
        const int64_t rows = n / s->ne[0];
        for (int64_t r = 0; r < rows; r++) {
            from_float(s->type, x + r * s->ne[0], (char *) t->data + r * ggml_row_size(s->type, s->ne[0]), s->ne[0]);
        }
        free(x);
        gguf_add_tensor(g, t);
    }
    if (!gguf_write_to_file(g, path, false)) die("cannot write tiny.gguf");
    gguf_free(g);
    ggml_free(ctx);
}

static void dump_value(FILE * f, enum gguf_type type, const void * p) {
    switch (type) {
        case GGUF_TYPE_UINT8:   fprintf(f, "%u", *(const uint8_t *) p); break;
        case GGUF_TYPE_INT8:    fprintf(f, "%d", *(const int8_t *) p); break;
        case GGUF_TYPE_UINT16:  fprintf(f, "%u", *(const uint16_t *) p); break;
        case GGUF_TYPE_INT16:   fprintf(f, "%d", *(const int16_t *) p); break;
        case GGUF_TYPE_UINT32:  fprintf(f, "%u", *(const uint32_t *) p); break;
        case GGUF_TYPE_INT32:   fprintf(f, "%d", *(const int32_t *) p); break;
        case GGUF_TYPE_FLOAT32: fprintf(f, "\"0x%08x\"", f32_bits(*(const float *) p)); break;
        case GGUF_TYPE_BOOL:    fprintf(f, "%s", *(const bool *) p ? "true" : "false"); break;
        case GGUF_TYPE_UINT64:  fprintf(f, "\"%llu\"", (unsigned long long) *(const uint64_t *) p); break;
        case GGUF_TYPE_INT64:   fprintf(f, "\"%lld\"", (long long) *(const int64_t *) p); break;
        case GGUF_TYPE_FLOAT64: fprintf(f, "\"0x%016llx\"", (unsigned long long) f64_bits(*(const double *) p)); break;
        default: die("unexpected value type");
    }
}

static size_t value_size(enum gguf_type type) {
    switch (type) {
        case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
        case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
        case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
        default: return 8;
    }
}

static void dump_tiny(const char * path, const char * json_path) {
    struct ggml_context * ctx = NULL;
    struct gguf_init_params p = {.no_alloc = false, .ctx = &ctx};
    struct gguf_context * g = gguf_init_from_file(path, p);
    if (!g) die("ggml cannot read back tiny.gguf");
    FILE * f = fopen(json_path, "w");
    if (!f) die(json_path);
    fprintf(f, "{\"version\": %u, \"alignment\": %zu, \"data_offset\": %zu,\n \"kv\": [",
            gguf_get_version(g), gguf_get_alignment(g), gguf_get_data_offset(g));
    for (int64_t i = 0; i < gguf_get_n_kv(g); i++) {
        enum gguf_type type = gguf_get_kv_type(g, i);
        fprintf(f, "%s\n  {\"key\": ", i ? "," : "");
        json_string(f, gguf_get_key(g, i));
        fprintf(f, ", \"type\": \"%s\"", gguf_type_name(type));
        if (type == GGUF_TYPE_ARRAY) {
            enum gguf_type at = gguf_get_arr_type(g, i);
            fprintf(f, ", \"array_type\": \"%s\", \"value\": [", gguf_type_name(at));
            for (size_t j = 0; j < gguf_get_arr_n(g, i); j++) {
                if (j) fprintf(f, ", ");
                if (at == GGUF_TYPE_STRING) json_string(f, gguf_get_arr_str(g, i, j));
                else dump_value(f, at, (const char *) gguf_get_arr_data(g, i) + j * value_size(at));
            }
            fprintf(f, "]}");
        } else {
            fprintf(f, ", \"value\": ");
            if (type == GGUF_TYPE_STRING) json_string(f, gguf_get_val_str(g, i));
            else dump_value(f, type, gguf_get_val_data(g, i));
            fprintf(f, "}");
        }
    }
    fprintf(f, "\n ],\n \"tensors\": [");
    for (int64_t i = 0; i < gguf_get_n_tensors(g); i++) {
        const char * name = gguf_get_tensor_name(g, i);
        struct ggml_tensor * t = ggml_get_tensor(ctx, name);
        const int64_t n = ggml_nelements(t);
        float * out = malloc((size_t) n * 4);
        const int64_t rows = n / t->ne[0];
        for (int64_t r = 0; r < rows; r++) {
            to_float(t->type, (const char *) t->data + r * t->nb[1], out + r * t->ne[0], t->ne[0]);
        }
        fprintf(f, "%s\n  {\"name\": ", i ? "," : "");
        json_string(f, name);
        fprintf(f, ", \"type\": \"%s\", \"n_dims\": %d, \"ne\": [%lld, %lld, %lld, %lld], \"offset\": %zu, \"size\": %zu,\n   \"output\": ",
                ggml_type_name(t->type), ggml_n_dims(t), (long long) t->ne[0], (long long) t->ne[1],
                (long long) t->ne[2], (long long) t->ne[3], gguf_get_tensor_offset(g, i), gguf_get_tensor_size(g, i));
        hex(f, out, (size_t) n * 4);
        fprintf(f, "}");
        free(out);
    }
    fprintf(f, "\n ]}\n");
    fclose(f);
    gguf_free(g);
    ggml_free(ctx);
}

int main(int argc, char ** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gguf_reference OUT_DIR   (OUT_DIR/quant and OUT_DIR/quant-random must exist)\n");
        return 2;
    }
    const char * dir = argv[1];
    types_table(dir);
    for (size_t i = 0; i < N_SUPPORTED; i++) type_cases(dir, SUPPORTED[i]);
    char path[1024], json[1024];
    snprintf(path, sizeof path, "%s/tiny.gguf", dir);
    snprintf(json, sizeof json, "%s/tiny.gguf.json", dir);
    write_tiny(path);
    dump_tiny(path, json);
    rng_state = 0x5EED2026ULL; // the random blocks have their own stream: the files above stay as they were
    for (size_t i = 0; i < N_SUPPORTED; i++) random_cases(dir, SUPPORTED[i]);
    return 0;
}
