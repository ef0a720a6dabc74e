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

/* 4.0's packed forms: the fields after the type byte, then the one it held */
static int packed_decode(const struct fp_record *rec, struct fp_event *ev)
{
    switch (rec->type) {
    case FP_REC_FREE_BACK:
        ev->u.free_back.back = rec->packed_field;
        return 1;
    case FP_REC_ALLOC_REUSE:
    case FP_REC_ALLOC_REUSE_FREED: {
        uint64_t site, size;
        const uint8_t *p = fp_varint_at(rec->p, rec->end, &site);
        if (!p || !fp_varint_at(p, rec->end, &size))
            return -1;
        if (rec->type == FP_REC_ALLOC_REUSE)
            ev->u.alloc_reuse = (struct fp_rec_alloc_reuse){ site, size, rec->packed_field };
        else
            ev->u.alloc_reuse_freed =
                (struct fp_rec_alloc_reuse_freed){ site, size, rec->packed_field };
        return 1;
    }
    default:
        return -1;
    }
}

int fp_event_decode(const struct fp_record *rec, struct fp_event *ev)
{
    ev->type = rec->type;
    ev->tid = rec->tid;
    ev->t = rec->t;
    if (rec->packed)
        return packed_decode(rec, ev);
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
