/* event: decodes one record's payload into typed fields, checking every
 * varint and string against the payload end.  Shared by the model and --dump
 * so both read the format the same way. */
#ifndef FP_EVENT_H
#define FP_EVENT_H

#include <stdint.h>
#include "reader.h"
#include "faultprof/records.h"

/* A decoded record: u holds the record's fields, as include/faultprof/
 * records.h defines them (u.alloc is a struct fp_rec_alloc, and so on). */
struct fp_event {
    unsigned type;
    uint32_t tid;
    uint64_t t;
    union {
#define FP_X(NAME, name, code, timed) struct fp_rec_##name name;
        FP_RECORD_LIST(FP_X)
#undef FP_X
    } u;
    uint64_t frames[FP_MAX_DEPTH];   /* where u.stack.frames.v points */
};

/* 1 decoded, 0 unknown type (skip it), -1 corrupt (payload too short). */
int fp_event_decode(const struct fp_record *rec, struct fp_event *ev);

const char *fp_alloc_func_name(uint64_t func);

#endif
