/* report_speedscope: --format speedscope, speedscope's JSON file format
 * (https://www.speedscope.app/file-format-schema.json): one "sampled"
 * profile per metric, each site a sample (its stack, outermost caller
 * first) weighted by the site's figure, over one shared table of frames
 * with their function, file and line. */
#include "report.h"

#include "faultprof/version.h"

/* A profile: its name, unit, metric and the sites it weighs. */
struct ss_profile {
    const char *name, *unit;
    int metric;
    int faults_by_code;          /* the fault sources instead of the sites */
};

static const struct ss_profile ss_profiles[] = {
    { "allocations", "none", FP_METRIC_ALLOCATIONS, 0 },
    { "bytes allocated", "bytes", FP_METRIC_BYTES, 0 },
    { "live at the heap peak", "bytes", FP_METRIC_PEAK, 0 },
    { "leaked", "bytes", FP_METRIC_LEAKED, 0 },
    { "temporary allocations", "none", FP_METRIC_TEMPORARY, 0 },
    { "page faults by code", "none", FP_METRIC_FAULTS, 1 },
    { "page faults by allocation", "none", FP_METRIC_FAULTS, 0 },
};

static int ss_profile(FILE *out, const struct ss_profile *p, const struct fp_sites *s,
                      struct fp_frame_ids *fi)
{
    uint64_t total = 0;
    fprintf(out, "{\"type\":\"sampled\",\"name\":");
    fp_json_str(out, p->name);
    fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\n\"samples\":[", p->unit);
    int first = 1;
    for (uint32_t i = 0; i < s->n; i++) {
        const struct fp_site *st = &s->v[i];
        uint64_t v = fp_metric_value(&st->c, p->metric);
        if (!v)
            continue;
        const uint32_t *fr = fp_site_frames(s, st);
        fputs(first ? "[" : ",\n[", out);
        first = 0;
        for (uint32_t k = st->nframes; k-- > 0;) {
            uint32_t id = fp_frame_ids_get(fi, fr[k]);
            if (id == UINT32_MAX)
                return -1;
            fprintf(out, "%u%s", id, k ? "," : "");
        }
        if (!st->nframes) {
            uint32_t id = fp_frame_ids_get(fi, FP_FLAME_NOSTACK);
            if (id == UINT32_MAX)
                return -1;
            fprintf(out, "%u", id);
        }
        putc(']', out);
        total += v;
    }
    fprintf(out, "],\n\"weights\":[");
    first = 1;
    for (uint32_t i = 0; i < s->n; i++) {
        uint64_t v = fp_metric_value(&s->v[i].c, p->metric);
        if (v) {
            fprintf(out, "%s%llu", first ? "" : ",", (unsigned long long)v);
            first = 0;
        }
    }
    fprintf(out, "],\"endValue\":%llu}", (unsigned long long)total);
    return 0;
}

/* The shared frames: name, and file and line where known. */
static void ss_frames(FILE *out, const struct fp_syms *syms, const struct fp_frame_ids *fi)
{
    fprintf(out, "\"shared\":{\"frames\":[");
    for (uint32_t i = 0; i < fi->n; i++) {
        fputs(i ? ",\n" : "\n", out);
        if (fi->ids[i] == FP_FLAME_NOSTACK) {
            fputs("{\"name\":\"[no stack]\"}", out);
            continue;
        }
        const struct fp_frame *f = fp_syms_frame(syms, fi->ids[i]);
        char nb[128];
        fprintf(out, "{\"name\":");
        fp_json_str(out, fp_frame_name(f, nb, sizeof(nb)));
        if (f->file) {
            fprintf(out, ",\"file\":");
            fp_json_str(out, f->file);
            if (f->line)
                fprintf(out, ",\"line\":%u", f->line);
        }
        putc('}', out);
    }
    fprintf(out, "]}");
}

int fp_report_speedscope(FILE *out, const struct fp_report *r)
{
    struct fp_frame_ids fi = { 0 };
    int rc = 0;
    fprintf(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
            "\"exporter\":\"faultprof-report %s\",\"name\":", FAULTPROF_VERSION);
    fp_json_str(out, r->summary.command);
    /* bytes first, as --format folded's default metric */
    fprintf(out, ",\"activeProfileIndex\":1,\n\"profiles\":[\n");
    size_t np = sizeof(ss_profiles) / sizeof(ss_profiles[0]);
    for (size_t i = 0; i < np && rc == 0; i++) {
        const struct ss_profile *p = &ss_profiles[i];
        if (i)
            fputs(",\n", out);
        rc = ss_profile(out, p, p->faults_by_code ? &r->fault_sources : &r->sites, &fi);
    }
    fprintf(out, "],\n");
    ss_frames(out, r->sites.syms, &fi);
    fprintf(out, "}\n");
    fp_frame_ids_free(&fi);
    return rc < 0 || ferror(out) ? -1 : 0;
}
