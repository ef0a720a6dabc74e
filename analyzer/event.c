/* event: decoding record payloads into typed fields with the decoders
 * include/faultprof/records.h generates (faultprof-trace(5)).  Fields past
 * the ones known here are ignored, as the format requires. */
#include "event.h"

#include <string.h>

static const char *const func_names[] = {
#define FP_X(name, val, s) [val] = s,
    FP_FUNC_LIST(FP_X)
#undef FP_X
};

const char *fp_alloc_func_name(uint64_t func)
{
    if (func < sizeof(func_names) / sizeof(func_names[0]) && func_names[func])
        return func_names[func];
    return "?";
}

int fp_event_decode(const struct fp_record *rec, struct fp_event *ev)
{
    ev->type = rec->type;
    ev->tid = rec->tid;
    ev->t = rec->t;
    switch (rec->type) {
#define FP_X(NAME, name, code, timed)                                        \
    case FP_REC_##NAME:                                                     \
        if (FP_REC_##NAME == FP_REC_STACK)  /* frames decode into ev */     \
            ev->u.stack.frames.v = ev->frames;                              \
        return fp_dec_##name(rec->p, rec->end, &ev->u.name) < 0 ? -1 : 1;
    FP_RECORD_LIST(FP_X)
#undef FP_X
    default:
        return 0;
    }
}
