/* faultprof-report: reads traces written by libfaultprof.so and prints where
 * the program asked for memory.  main() parses options and runs one of:
 * report (text/json/folded), --dump, --diff.  Exit 0 ok, 1 usage, 2 bad input. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultprof/trace.h"
#include "faultprof/version.h"
#include "debuginfo.h"
#include "gate.h"
#include "live.h"
#include "model.h"
#include "reader.h"
#include "report.h"
#include "sites.h"
#include "symbols.h"
#include "symfiles.h"

static void usage(FILE *f)
{
    fputs(
"usage: faultprof-report [options] TRACE|RUN...\n"
"       faultprof-report --diff BASE NEW [options]\n"
"       faultprof-report --diff [options] BASE... -- NEW...\n"
"       faultprof-report --dump [--order file|time] TRACE\n"
"       faultprof-report --live TRACE|RUN\n"
"\n"
"  -f, --format FMT     text (default), json, folded, html, speedscope, pprof\n"
"                       (gzipped profile.proto) or svg (a flame graph of --metric)\n"
"  -s, --sort METRIC    rank sites by allocations (default), bytes, peak, leaked,\n"
"                       leaked_blocks, temporary, mmapped, faults, minor_faults,\n"
"                       major_faults, frees, reallocs, mapped, faults_by_allocation\n"
"  -n, --top N          show the top N sites (text default 20; 0: all)\n"
"      --by WHAT        site (full stack, default) or function\n"
"      --threads        add a per-thread table\n"
"      --depth N        caller frames shown under each site (default 4)\n"
"  -m, --metric METRIC  count of --format folded and svg (default bytes); faults\n"
"                       (or faults_by_code), minor_faults, major_faults: a page-fault\n"
"                       flame graph by code; faults_by_allocation: by the allocation\n"
"                       whose memory was touched\n"
"      --filter GLOB    also fold frames whose function matches GLOB\n"
"      --no-filter      show the allocator's own frames too\n"
"      --no-symbols     don't read debug info (module+offset only)\n"
"      --sysroot DIR    look for the traced files under DIR first (a trace from\n"
"                       another machine); a file whose build-id differs is not used\n"
"      --debug-dir DIR  look for debug info in DIR too (repeatable)\n"
"      --diff BASE NEW  compare two runs (run directories or traces); several\n"
"                       runs a side: BASE... -- NEW... (medians, spread, noise)\n"
"      --normalize      diff: match functions ignoring namespaces, parameters, hashes\n"
"      --fail-on EXPR   diff: exit 1 when EXPR passes its limit, e.g. minor_faults>+20%,\n"
"                       leaked_bytes>0, bytes@parse_input>+10% (repeatable)\n"
"      --junit FILE     diff: write the --fail-on verdicts to FILE as JUnit XML\n"
"      --dump           print every record of TRACE\n"
"      --order ORDER    --dump order: file (default) or time\n"
"      --live           a terminal view of TRACE or RUN while it is written,\n"
"                       refreshed each second (keys: s sort, t threads and\n"
"                       processes, n next process, p pause, q quit)\n"
"  -j, --jobs N         threads to read with (default: the online CPUs): N - 1\n"
"                       decode the trace while one builds the report; 1: one thread\n"
"  -o, --output FILE    write to FILE instead of stdout\n"
"  -q, --quiet          no warnings\n"
"  -h, --help           this text\n"
"      --version        print the version\n", f);
}

enum {
    OPT_BY = 256, OPT_THREADS, OPT_DEPTH, OPT_FILTER, OPT_NO_FILTER, OPT_NO_SYMBOLS, OPT_DIFF,
    OPT_NORMALIZE, OPT_DUMP, OPT_ORDER, OPT_VERSION, OPT_FAIL_ON, OPT_JUNIT,
    OPT_SYSROOT, OPT_DEBUG_DIR, OPT_LIVE,
};

static const struct option longopts[] = {
    { "format", required_argument, NULL, 'f' },
    { "sort", required_argument, NULL, 's' },
    { "top", required_argument, NULL, 'n' },
    { "by", required_argument, NULL, OPT_BY },
    { "threads", no_argument, NULL, OPT_THREADS },
    { "depth", required_argument, NULL, OPT_DEPTH },
    { "metric", required_argument, NULL, 'm' },
    { "filter", required_argument, NULL, OPT_FILTER },
    { "no-filter", no_argument, NULL, OPT_NO_FILTER },
    { "no-symbols", no_argument, NULL, OPT_NO_SYMBOLS },
    { "diff", no_argument, NULL, OPT_DIFF },
    { "normalize", no_argument, NULL, OPT_NORMALIZE },
    { "fail-on", required_argument, NULL, OPT_FAIL_ON },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "sysroot", required_argument, NULL, OPT_SYSROOT },
    { "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
    { "dump", no_argument, NULL, OPT_DUMP },
    { "order", required_argument, NULL, OPT_ORDER },
    { "live", no_argument, NULL, OPT_LIVE },
    { "jobs", required_argument, NULL, 'j' },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 1, 2)))
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "faultprof-report: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'faultprof-report --help'.\n");
    va_end(ap);
    return 1;
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1000000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* A report of the traces: the model, the report model, then its printer. */
static int run_report(FILE *out, char **paths, int n, const struct fp_opts *o)
{
    char err[512];
    struct fp_model *m = fp_model_new();
    if (!m) {
        fprintf(stderr, "faultprof-report: out of memory\n");
        return 2;
    }
    m->warn = o->warn ? o->warn : NULL;
    m->progress = o->warn && isatty(2);      /* -q: silent */
    m->timeline = o->format == FP_FMT_HTML;
    if (o->symbols)
        m->modules_known = fp_symfiles_prewarm;
    /* each path a run: a run directory, or a trace standing alone */
    struct fp_run run = { 0 };
    for (int i = 0; i < n; i++) {
        fp_run_free(&run);
        if (fp_run_open(&run, paths[i], err, sizeof(err)) < 0 ||
            fp_run_read(&run, m, err, sizeof(err)) < 0) {
            fprintf(stderr, "faultprof-report: %s\n", err);
            fp_run_free(&run);
            fp_model_free(m);
            return 2;
        }
    }
    int rc = 0;
    struct fp_syms *syms = fp_syms_new(m, o->warn, o->symbols);
    struct fp_report r = { 0 };
    struct fp_report_plan plan = fp_report_plan_of(o);
    if (!syms || fp_report_build(&r, m, syms, o, &plan) < 0 ||
        (n == 1 && run.has_manifest && fp_report_set_run(&r, &run) < 0)) {
        fprintf(stderr, "faultprof-report: out of memory\n");
        rc = 2;
    } else {
        int w = o->format == FP_FMT_JSON ? fp_report_json(out, &r)
              : o->format == FP_FMT_FOLDED ? fp_report_folded(out, &r)
              : o->format == FP_FMT_HTML ? fp_report_html(out, &r)
              : o->format == FP_FMT_SPEEDSCOPE ? fp_report_speedscope(out, &r)
              : o->format == FP_FMT_PPROF ? fp_report_pprof(out, &r)
              : o->format == FP_FMT_SVG ? fp_report_svg(out, &r)
              : fp_report_text(out, &r);
        if (w < 0) {
            fprintf(stderr, "faultprof-report: write error\n");
            rc = 1;
        }
    }
    fp_report_free(&r);
    fp_run_free(&run);
    fp_syms_free(syms);
    fp_model_free(m);
    return rc;
}

/* What to run besides the report options. */
struct cmd {
    int dump, diff, order_file, live;
    const char *output;
    struct fp_gate *gates;       /* --fail-on, in order */
    size_t ngates;
    const char *junit;
    const char *sysroot;         /* --sysroot, --debug-dir */
    const char **debug_dirs;
    size_t ndebug_dirs;
};

/* --debug-dir DIR: one more. */
static int add_debug_dir(struct cmd *cmd, const char *dir)
{
    const char **v = realloc(cmd->debug_dirs, (cmd->ndebug_dirs + 1) * sizeof(*v));
    if (!v)
        return bad_usage("%s", "out of memory");
    cmd->debug_dirs = v;
    v[cmd->ndebug_dirs++] = dir;
    return -1;
}

/* --fail-on EXPR: one more gate. */
static int add_gate(struct cmd *cmd, const char *expr)
{
    char err[512];
    struct fp_gate *v = realloc(cmd->gates, (cmd->ngates + 1) * sizeof(*v));
    if (!v)
        return bad_usage("%s", "out of memory");
    cmd->gates = v;
    if (fp_gate_parse(&v[cmd->ngates], expr, err, sizeof(err)) < 0)
        return bad_usage("%s", err);
    cmd->ngates++;
    return -1;
}

/* The gates' verdicts over d: a line each on stderr, the JUnit file.
 * Returns 1 when a gate failed, 2 on an error, else 0. */
static int run_gates(const struct fp_diff *d, const struct cmd *cmd, const char *base,
                     const char *new_path)
{
    char err[512];
    int rc = 0;
    struct fp_gate_result *r = calloc(cmd->ngates, sizeof(*r));
    if (!r) {
        fprintf(stderr, "faultprof-report: out of memory\n");
        return 2;
    }
    for (size_t i = 0; i < cmd->ngates; i++) {
        if (fp_gate_eval(d, &cmd->gates[i], &r[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "faultprof-report: %s\n", err);
            free(r);
            return 2;
        }
        rc |= r[i].failed;
    }
    fp_gate_text(stderr, "faultprof-report: ", r, cmd->ngates);
    if (cmd->junit) {
        FILE *f = fopen(cmd->junit, "w");
        if (!f || fp_gate_junit(f, r, cmd->ngates, base, new_path) < 0 || fclose(f) != 0) {
            fprintf(stderr, "faultprof-report: %s: cannot write: %m\n", cmd->junit);
            rc = 2;
        }
    }
    free(r);
    return rc;
}

/* --diff BASE... [--] NEW...: the diff model, then its printer, then the
 * gates. */
static int run_diff(FILE *out, char **base, int nbase, char **news, int nnew,
                    const struct fp_opts *o, const struct cmd *cmd)
{
    char err[512];
    struct fp_diff d;
    int rc = 0;
    if (fp_diff_build(&d, base, (uint32_t)nbase, news, (uint32_t)nnew, o, err, sizeof(err)) < 0) {
        fprintf(stderr, "faultprof-report: %s\n", err);
        rc = 2;
    } else if (o->format == FP_FMT_JSON) {
        fp_diff_json(out, &d, o);
    } else if (o->format == FP_FMT_FOLDED) {
        fp_diff_folded(out, &d, o);
    } else if (o->format == FP_FMT_HTML) {
        fp_diff_html(out, &d, o);
    } else if (o->format == FP_FMT_SVG) {
        fp_diff_svg(out, &d, o);
    } else {
        fp_diff_text(out, &d, o);
    }
    if (!rc && cmd->ngates) {
        fflush(out);
        rc = run_gates(&d, cmd, base[0], news[0]);
    }
    fp_diff_free(&d);
    return rc;
}


/* One option of getopt_long's (c, optarg) into o, filter and cmd.  Returns
 * -1 to go on, or the exit status. */
static int parse_option(int c, struct fp_opts *o, struct fp_filter *filter, struct cmd *cmd)
{
    switch (c) {
    case 'f':
        if (!strcmp(optarg, "text"))
            o->format = FP_FMT_TEXT;
        else if (!strcmp(optarg, "json"))
            o->format = FP_FMT_JSON;
        else if (!strcmp(optarg, "folded"))
            o->format = FP_FMT_FOLDED;
        else if (!strcmp(optarg, "html"))
            o->format = FP_FMT_HTML;
        else if (!strcmp(optarg, "speedscope"))
            o->format = FP_FMT_SPEEDSCOPE;
        else if (!strcmp(optarg, "pprof"))
            o->format = FP_FMT_PPROF;
        else if (!strcmp(optarg, "svg"))
            o->format = FP_FMT_SVG;
        else
            return bad_usage("unknown format '%s' (text, json, folded, html, speedscope, pprof "
                             "or svg)", optarg);
        break;
    case 's':
        if ((o->sort = fp_metric_parse(optarg)) < 0)
            return bad_usage("unknown metric '%s'", optarg);
        break;
    case 'm':
        if ((o->metric = fp_metric_parse(optarg)) < 0)
            return bad_usage("unknown metric '%s'", optarg);
        break;
    case 'n':
        if (parse_int(optarg, &o->top) < 0)
            return bad_usage("--top wants a number, not '%s'", optarg);
        o->top_set = 1;
        break;
    case OPT_BY:
        if (!strcmp(optarg, "function"))
            o->by = FP_BY_FUNCTION;
        else if (!strcmp(optarg, "site"))
            o->by = FP_BY_SITE;
        else
            return bad_usage("--by wants function or site, not '%s'", optarg);
        break;
    case OPT_THREADS: o->threads = 1; break;
    case OPT_DEPTH:
        if (parse_int(optarg, &o->depth) < 0)
            return bad_usage("--depth wants a number, not '%s'", optarg);
        break;
    case OPT_FILTER: fp_filter_add(filter, optarg); break;
    case OPT_NO_FILTER: filter->enabled = 0; break;
    case OPT_NO_SYMBOLS: o->symbols = 0; break;
    case OPT_DIFF: cmd->diff = 1; break;
    case OPT_NORMALIZE: o->normalize = 1; break;
    case OPT_FAIL_ON: return add_gate(cmd, optarg);
    case OPT_JUNIT: cmd->junit = optarg; break;
    case OPT_SYSROOT: cmd->sysroot = optarg; break;
    case OPT_DEBUG_DIR: return add_debug_dir(cmd, optarg);
    case OPT_DUMP: cmd->dump = 1; break;
    case OPT_LIVE: cmd->live = 1; break;
    case OPT_ORDER:
        if (!strcmp(optarg, "file"))
            cmd->order_file = 1;
        else if (!strcmp(optarg, "time"))
            cmd->order_file = 0;
        else
            return bad_usage("--order wants file or time, not '%s'", optarg);
        break;
    case 'j': {
        int jobs;
        if (parse_int(optarg, &jobs) < 0 || jobs < 1 || jobs > 1024)
            return bad_usage("--jobs wants a number from 1 to 1024, not '%s'", optarg);
        fp_report_set_jobs(jobs);
        break;
    }
    case 'o': cmd->output = optarg; break;
    case 'q': o->warn = NULL; break;
    case 'h': usage(stdout); return 0;
    case OPT_VERSION:
        printf("faultprof-report %s (trace format %d.%d)\n", FAULTPROF_VERSION, FP_VERSION_MAJOR,
               FP_VERSION_MINOR);
        return 0;
    default: usage(stderr); return 1;
    }
    return -1;
}

/* --sysroot and --debug-dir: directories, handed to debuginfo.c. */
static int setup_debuginfo(const struct cmd *cmd, FILE *warn)
{
    for (size_t i = 0; i <= cmd->ndebug_dirs; i++) {
        const char *dir = i < cmd->ndebug_dirs ? cmd->debug_dirs[i] : cmd->sysroot;
        struct stat st;
        if (dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
            fprintf(stderr, "faultprof-report: %s: not a directory\n", dir);
            return -1;
        }
    }
    if (fp_debuginfo_configure(cmd->sysroot, cmd->debug_dirs, cmd->ndebug_dirs, warn) < 0) {
        fprintf(stderr, "faultprof-report: out of memory\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct fp_opts o = { .format = FP_FMT_TEXT, .sort = FP_METRIC_ALLOCATIONS,
                         .metric = FP_METRIC_BYTES, .top = 20, .by = FP_BY_SITE, .depth = 4,
                         .symbols = 1, .warn = stderr };
    struct fp_filter filter;
    fp_filter_defaults(&filter);
    struct cmd cmd = { .order_file = 1 };
    int c, rc = 0;
    /* options end at "--"; what follows is a list (--diff's NEW side) */
    int dd = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dd = i;
            break;
        }
    while ((c = getopt_long(dd, argv, "f:s:n:m:j:o:qh", longopts, NULL)) != -1)
        if ((rc = parse_option(c, &o, &filter, &cmd)) >= 0)
            return rc;
    rc = 0;
    int nbefore = dd - optind, nafter = dd < argc ? argc - dd - 1 : 0;
    int nfiles = nbefore + nafter;
    if (dd < argc && nafter)
        memmove(argv + optind + nbefore, argv + dd + 1, (size_t)nafter * sizeof(*argv));
    if (nfiles < 1)
        return bad_usage("%s", "no trace given");
    if (cmd.diff && dd == argc && nfiles != 2)
        return bad_usage("%s", "--diff wants two runs, BASE NEW, or lists: BASE... -- NEW...");
    if (cmd.diff && dd < argc && (!nbefore || !nafter))
        return bad_usage("%s", "--diff BASE... -- NEW...: a side without a run");
    if (cmd.diff && dd == argc)
        nbefore = 1;
    if (cmd.live && (nfiles != 1 || cmd.diff || cmd.dump))
        return bad_usage("%s", "--live reads one trace or run directory, alone");
    if (cmd.dump && nfiles != 1)
        return bad_usage("%s", "--dump reads one trace");
    if ((cmd.ngates || cmd.junit) && !cmd.diff)
        return bad_usage("%s", "--fail-on and --junit go with --diff BASE NEW");
    if (cmd.diff && (o.format == FP_FMT_SPEEDSCOPE || o.format == FP_FMT_PPROF))
        return bad_usage("%s", "--format speedscope and pprof are of one report, not of --diff");
    if (o.format == FP_FMT_SVG && !fp_svg_metric_ok(o.metric))
        return bad_usage("--format svg draws allocations, bytes, peak, leaked, temporary, faults"
                         " or faults_by_allocation, not '%s'", fp_metric_name(o.metric));
    if (cmd.junit && !cmd.ngates)
        return bad_usage("%s", "--junit writes the verdicts of --fail-on: give one");
    o.filter = &filter;
    if (setup_debuginfo(&cmd, o.warn) < 0)
        return 1;
    FILE *out = stdout;
    if (cmd.output && !(out = fopen(cmd.output, "w"))) {
        fprintf(stderr, "faultprof-report: %s: cannot write: %m\n", cmd.output);
        return 1;
    }
    char err[512];
    if (cmd.dump) {
        if (fp_dump(out, argv[optind], cmd.order_file, o.symbols, err, sizeof(err)) < 0) {
            fflush(out);
            fprintf(stderr, "faultprof-report: %s: %s\n", argv[optind], err);
            rc = 2;
        }
        goto done;
    }
    if (cmd.live) {
        rc = fp_live_main(argv[optind], &o, 1000);
        goto done;
    }
    if (cmd.diff)
        rc = run_diff(out, argv + optind, nbefore, argv + optind + nbefore, nfiles - nbefore, &o,
                      &cmd);
    else
        rc = run_report(out, argv + optind, nfiles, &o);
done:
    fp_filter_free(&filter);
    for (size_t i = 0; i < cmd.ngates; i++)
        fp_gate_free(&cmd.gates[i]);
    free(cmd.gates);
    free(cmd.debug_dirs);
    if (fflush(out) != 0 && !rc) {
        fprintf(stderr, "faultprof-report: write error\n");
        rc = 1;
    }
    if (out != stdout)
        fclose(out);
    return rc;
}
