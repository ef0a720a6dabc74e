/* libFuzzer harness for the trace reader and the model: any byte string must
 * either read or fail with a message — never crash, hang or leak.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Ianalyzer \
 *         tests/fuzz/fuzz_reader.c analyzer/{reader,event,model}.c -lz */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fp_model *m = fp_model_new();
    if (!m)
        return 0;
    m->warn = NULL;
    char err[512];
    err[0] = 0;
    if (fp_model_read_mem(m, "fuzz", data, size, err, sizeof(err)) < 0 && !err[0])
        __builtin_trap();   /* a failure must say why */
    fp_model_free(m);
    return 0;
}
