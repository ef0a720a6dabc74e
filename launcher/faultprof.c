/* faultprof(1): runs a program with libfaultprof.so preloaded, passes it the
 * recording options as FAULTPROF_* variables, and reports the trace files the
 * traced processes wrote.  It exits the way the program exited, signal
 * included, so it can stand in front of any command in a script. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "live.h"
#include "faultprof/settings.h"
#include "faultprof/trace.h"
#include "faultprof/version.h"


#define LIB_NAME "libfaultprof.so"

/* Exit codes of our own, chosen like env(1), timeout(1) and the shells do. */
enum {
    EXIT_USAGE    = 2,    /* bad command line */
    EXIT_INTERNAL = 125,  /* faultprof itself failed before the program ran */
    EXIT_NOEXEC   = 126,  /* the program exists but cannot be executed */
    EXIT_NOTFOUND = 127,  /* the program was not found */
};

/* The signals a user sends to "the command"; the launcher passes them on. */
static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define N_FORWARDED (sizeof(forwarded_signals) / sizeof(forwarded_signals[0]))

static volatile sig_atomic_t child_pid;
static int live_on;       /* --live: start the viewer with the program */

struct options {
    const char *lib;      /* --lib, or NULL */
    int quiet;
    long toggle_pid;      /* --toggle PID, or 0 */
    long attach_pid;      /* -p PID, or 0 */
    double duration;      /* --duration S with -p; 0: until Ctrl-C */
    int live;             /* --live */
    char *const *argv;    /* the program and its arguments */
    char *run_dir;        /* -o DIR/: the run's directory (absolute), or NULL */
};

/* What the manifest of a run directory says besides its traces. */
struct run_times {
    struct timespec start, end;
    pid_t root;
};

/* One line on stderr, prefixed "faultprof: ". */
static void vmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vmsg(const char *fmt, va_list ap)
{
    fputs("faultprof: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
}

static const struct fp_setting settings[] = { FP_SETTINGS(FP_SETTING_ROW) };

/* The option lines of --help for one row of the settings table: the
 * option, its meaning, its range and default, the variable it sets;
 * wrapped at 79 columns under the meaning's column, never inside the
 * range ('\1' is a space that does not break). */
static void usage_setting(FILE *f, const struct fp_setting *s)
{
    char left[64], text[512];
    char sh[8] = "    ";
    const int indent = 26, width = 79;

    if (s->short_option)
        snprintf(sh, sizeof(sh), "-%c, ", s->short_option);
    snprintf(left, sizeof(left), "%s--%s%s", sh, s->option,
             s->kind == FP_SET_NUMBER ? " N" : s->kind == FP_SET_TEXT ? " PATH" : "");
    if (s->kind == FP_SET_NUMBER)
        snprintf(text, sizeof(text), "%s; %llu\1to\1%llu, default %llu (%s)", s->meaning,
                 s->min, s->max, s->def, s->var);
    else
        snprintf(text, sizeof(text), "%s (%s%s)", s->meaning, s->var,
                 s->kind == FP_SET_SWITCH ? "=0" : "");
    fprintf(f, "  %-*s", indent - 2, left);
    int col = indent;
    for (char *w = strtok(text, " "); w; w = strtok(NULL, " ")) {
        int len = (int)strlen(w);
        if (col > indent && col + 1 + len > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        }
        if (col > indent)
            col += fprintf(f, " ");
        for (; *w; w++, col++)
            fputc(*w == '\1' ? ' ' : *w, f);
    }
    fputc('\n', f);
}

static void usage(FILE *f)
{
    fputs(
"usage: faultprof [OPTIONS] [--] PROGRAM [ARGS...]\n"
"       faultprof [OPTIONS] -p PID [--duration S] [--live]\n"
"       faultprof --toggle PID\n"
"Runs PROGRAM with libfaultprof.so preloaded and records its allocations,\n"
"memory mappings and page faults into a compressed trace.\n"
"\n", f);
    for (size_t i = 0; i < FP_SETTINGS_COUNT; i++)
        usage_setting(f, &settings[i]);
    fputs(
"      --lib PATH          the libfaultprof.so to preload\n"
"  -p, --pid PID           attach to the running process PID and record it\n"
"      --duration S        with -p: detach after S seconds (default: at Ctrl-C)\n"
"      --live              show the program live (faultprof-report --live) while\n"
"                          it runs; q quits the view (with -p: and detaches),\n"
"                          the program runs on\n"
"      --toggle PID        pause or resume the recording of PID\n"
"  -q, --quiet             do not list the trace files at the end\n"
"  -h, --help              show this help\n"
"      --version           show the version\n"
"\n"
"Read the trace with faultprof-report(1).  See faultprof(1).\n", f);
}

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    fputs("usage: faultprof [OPTIONS] [--] PROGRAM [ARGS...]\n"
          "       faultprof [OPTIONS] -p PID [--duration S]\n"
          "       faultprof --toggle PID\n"
          "Try 'faultprof --help' for the options.\n", stderr);
    exit(EXIT_USAGE);
}

static void set_env(const char *name, const char *value)
{
    if (setenv(name, value, 1) != 0) {
        msg("setenv %s: %s", name, strerror(errno));
        exit(EXIT_INTERNAL);
    }
}

/* A setting's option becomes its variable: a number in the table's range
 * exported normalised, a switch as "0", a text as given; anything else is
 * a usage error. */
static void set_env_setting(const struct fp_setting *s, const char *arg)
{
    char buf[32];
    unsigned long long v;

    switch (s->kind) {
    case FP_SET_SWITCH:
        set_env(s->var, "0");
        break;
    case FP_SET_TEXT:          /* a path: the trace template */
        if (arg[0] == '\0')
            usage_error("-%c: the %s path is empty", s->short_option, s->option);
        set_env(s->var, arg);
        break;
    case FP_SET_NUMBER:
        if (fp_setting_number(s, arg, &v) < 0)
            usage_error("--%s: " FP_SETTING_RANGE_MSG ", got '%s'", s->option,
                        s->min, s->max, arg);
        snprintf(buf, sizeof(buf), "%llu", v);
        set_env(s->var, buf);
        break;
    }
}

/* getopt's value for a setting without a short option: OPT_SETTING + its row */
enum { OPT_SETTING = 256, OPT_LIB = OPT_SETTING + FP_SETTINGS_COUNT, OPT_VERSION,
       OPT_TOGGLE, OPT_DURATION, OPT_LIVE };

#define SETTING_OPTION(field, var, opt, sh, kind, ...) \
    { opt, kind == FP_SET_SWITCH ? no_argument : required_argument, NULL, \
      sh ? sh : OPT_SETTING + FP_SETTING_##field },
static const struct option long_options[] = {
    FP_SETTINGS(SETTING_OPTION)
    { "lib",          required_argument, NULL, OPT_LIB },
    { "pid",          required_argument, NULL, 'p' },
    { "duration",     required_argument, NULL, OPT_DURATION },
    { "live",         no_argument,       NULL, OPT_LIVE },
    { "toggle",       required_argument, NULL, OPT_TOGGLE },
    { "quiet",        no_argument,       NULL, 'q' },
    { "help",         no_argument,       NULL, 'h' },
    { "version",      no_argument,       NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* The settings row of getopt's value c, or -1. */
static int setting_of(int c)
{
    for (int i = 0; i < FP_SETTINGS_COUNT; i++)
        if (settings[i].short_option ? c == settings[i].short_option : c == OPT_SETTING + i)
            return i;
    return -1;
}

/* getopt's short options: the settings' from the table, then -q and -h.
 * '+': stop at the first non-option, which is the program; its own
 * options are its business.  ':': report a missing argument as ':'. */
static const char *short_options(void)
{
    static char opts[2 * FP_SETTINGS_COUNT + 10] = "+:";
    size_t n = 2;

    for (int i = 0; i < FP_SETTINGS_COUNT; i++) {
        if (!settings[i].short_option)
            continue;
        opts[n++] = (char)settings[i].short_option;
        if (settings[i].kind != FP_SET_SWITCH)
            opts[n++] = ':';
    }
    memcpy(opts + n, "qhp:", 5);
    return opts;
}

static long pid_arg(const char *opt, const char *arg)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || errno || v <= 0 || v > 1 << 22)
        usage_error("%s: expected a process id, got '%s'", opt, arg);
    return v;
}

/* Options become environment variables at once: the child inherits them and
 * variables the user set beforehand stay in force for options not given. */
static void options_parse(struct options *o, int argc, char **argv)
{
    int c;

    memset(o, 0, sizeof(*o));
    opterr = 0;
    while ((c = getopt_long(argc, argv, short_options(), long_options, NULL)) != -1) {
        switch (c) {
        case OPT_LIB:
            o->lib = optarg;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'p':
            o->attach_pid = pid_arg("-p", optarg);
            break;
        case OPT_LIVE:
            o->live = 1;
            break;
        case OPT_TOGGLE:
            o->toggle_pid = pid_arg("--toggle", optarg);
            break;
        case OPT_DURATION: {
            char *end;
            o->duration = strtod(optarg, &end);
            if (end == optarg || *end || !(o->duration > 0) || o->duration > 1e7)
                usage_error("--duration: expected a number of seconds above 0, got '%s'", optarg);
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        case OPT_VERSION:
            printf("faultprof %s (trace format %d.%d)\n", FAULTPROF_VERSION,
                   FP_VERSION_MAJOR, FP_VERSION_MINOR);
            exit(0);
        case ':':
            usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            if (setting_of(c) >= 0) {
                set_env_setting(&settings[setting_of(c)], optarg);
                break;
            }
            if (optopt)
                usage_error("unknown option '-%c'", optopt);
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (o->live && o->toggle_pid)
        usage_error("--live goes with a program to run or -p PID, not --toggle");
    if (o->toggle_pid || o->attach_pid) {
        if (optind < argc)
            usage_error("%s takes no program to run", o->toggle_pid ? "--toggle" : "-p");
        if (o->toggle_pid && o->attach_pid)
            usage_error("-p and --toggle go apart");
        return;
    }
    if (o->duration > 0)
        usage_error("--duration goes with -p PID");
    if (optind >= argc)
        usage_error("no program to run");
    o->argv = argv + optind;
}

/* Returns a malloc'ed absolute path of the library, or NULL after saying why.
 * An explicit choice (--lib, FAULTPROF_LIB) that does not exist is an error,
 * not a reason to look elsewhere. */
#ifndef FP_MULTIARCH
#define FP_MULTIARCH "x86_64-linux-gnu"    /* the Makefile passes $(CC) -print-multiarch */
#endif

static char *lib_find(const char *explicit_lib)
{
    const char *from = "--lib";
    char self[PATH_MAX], cand[3][PATH_MAX + 64];
    ssize_t n;
    char *res, *slash;

    if (!explicit_lib) {
        explicit_lib = getenv("FAULTPROF_LIB");
        from = "FAULTPROF_LIB";
        if (explicit_lib && explicit_lib[0] == '\0')
            explicit_lib = NULL;
    }
    if (explicit_lib) {
        res = realpath(explicit_lib, NULL);
        if (!res || access(res, R_OK) != 0) {
            msg("%s %s: %s", from, explicit_lib, strerror(errno));
            free(res);
            return NULL;
        }
        return res;
    }

    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0) {
        msg("cannot find " LIB_NAME ": /proc/self/exe: %s; use --lib PATH",
            strerror(errno));
        return NULL;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(cand[0], sizeof(cand[0]), "%s/" LIB_NAME, self);           /* build tree */
    snprintf(cand[1], sizeof(cand[1]), "%s/../lib/faultprof/" LIB_NAME, self); /* installed */
    /* the Debian package's multiarch directory (make deb) */
    snprintf(cand[2], sizeof(cand[2]), "%s/../lib/" FP_MULTIARCH "/faultprof/" LIB_NAME, self);
    for (size_t i = 0; i < 3; i++) {
        if (access(cand[i], R_OK) == 0 && (res = realpath(cand[i], NULL)) != NULL)
            return res;
    }
    msg("cannot find " LIB_NAME " (looked for %s, %s and %s); use --lib PATH or set "
        "FAULTPROF_LIB", cand[0], cand[1], cand[2]);
    return NULL;
}

/* LD_PRELOAD = our library, then whatever the user preloads already. */
static int preload_set(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    char *val;
    int rc;

    /* ld.so splits LD_PRELOAD at spaces and colons: such a path can't be named. */
    if (strpbrk(lib, " :\t")) {
        msg("%s: the path contains a space or a colon, which LD_PRELOAD cannot hold",
            lib);
        return -1;
    }
    if (old && old[0] != '\0')
        rc = asprintf(&val, "%s:%s", lib, old);
    else
        rc = asprintf(&val, "%s", lib);
    if (rc < 0) {
        msg("out of memory");
        return -1;
    }
    set_env("LD_PRELOAD", val);
    free(val);
    return 0;
}

/* Creates the empty file the traced processes append their trace paths to.
 * Returns its fd (close-on-exec, so the program does not inherit it) and
 * stores its malloc'ed path in *path. */
static int registry_create(char **path)
{
    const char *dir = getenv("TMPDIR");
    int fd;

    if (!dir || dir[0] == '\0')
        dir = "/tmp";
    if (asprintf(path, "%s/faultprof-registry.XXXXXX", dir) < 0) {
        msg("out of memory");
        return -1;
    }
    fd = mkostemp(*path, O_CLOEXEC);
    if (fd < 0) {
        msg("cannot create a registry file in %s: %s", dir, strerror(errno));
        free(*path);
        *path = NULL;
        return -1;
    }
    set_env("FAULTPROF_REGISTRY", *path);
    return fd;
}

/* Reads the whole registry into a NUL-terminated malloc'ed buffer. */
static char *registry_read(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;

    if (!buf)
        return NULL;
    if (lseek(fd, 0, SEEK_SET) < 0) {
        free(buf);
        return NULL;
    }
    for (;;) {
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

/* Prints s so that a POSIX shell reads it back as one word. */
static void shell_word(FILE *f, const char *s)
{
    if (s[0] != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789%+,-./:=@_") == strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* The closing lines: which traces were written and how to read them.  The
 * shim registers absolute paths; those under the working directory are
 * shown relative to it, as the user would type them. */
static void registry_report(const char *text, const char *program)
{
    char *copy = strdup(text), *save = NULL, *line;
    char **paths = NULL;
    char cwd[PATH_MAX];
    size_t n = 0, cwd_len = 0;

    if (!copy)
        return;
    if (getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") != 0)
        cwd_len = strlen(cwd);
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char **np = realloc(paths, (n + 1) * sizeof(*paths));
        if (!np)
            break;
        paths = np;
        if (cwd_len && strncmp(line, cwd, cwd_len) == 0 && line[cwd_len] == '/' &&
            line[cwd_len + 1] != '\0')
            line += cwd_len + 1;
        paths[n++] = line;
    }

    if (n == 0) {
        msg("no trace was written (is %s statically linked?)", program);
    } else if (n == 1) {
        fputs("faultprof: wrote ", stderr);
        shell_word(stderr, paths[0]);
        fputs(" (1 process)\n", stderr);
    } else {
        msg("wrote %zu traces:", n);
        for (size_t i = 0; i < n; i++) {
            fputs("faultprof:   ", stderr);
            shell_word(stderr, paths[i]);
            fputc('\n', stderr);
        }
    }
    if (n > 0) {
        fprintf(stderr, "faultprof: read %s with: faultprof-report", n == 1 ? "it" : "them");
        for (size_t i = 0; i < n; i++) {
            fputc(' ', stderr);
            shell_word(stderr, paths[i]);
        }
        fputc('\n', stderr);
    }
    free(paths);
    free(copy);
}

/* ---- run directories: -o DIR/ ---- */

#define RUN_MANIFEST "manifest"

/* mkdir -p PATH (PATH is modified and restored). */
static int mkdir_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0777);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    if (mkdir(path, 0777) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* An output that ends in '/' or names an existing directory makes a run:
 * the traces go into that directory as faultprof.%e.%p.gz (the path made
 * absolute, so a program that changes directory still writes there) and
 * run_end writes its manifest.  A directory holding a run already is
 * refused: two runs' traces in one place could not be told apart. */
static void run_dir_setup(struct options *o)
{
    const char *out = getenv("FAULTPROF_OUTPUT");
    struct stat st;
    char *dir, *abs, *manifest, *tmpl;
    size_t len;

    if (!out || out[0] == '\0')
        return;
    len = strlen(out);
    if (out[len - 1] != '/' && !(stat(out, &st) == 0 && S_ISDIR(st.st_mode)))
        return;
    dir = strdup(out);
    if (!dir) {
        msg("out of memory");
        exit(EXIT_INTERNAL);
    }
    while (len > 1 && dir[len - 1] == '/')
        dir[--len] = '\0';
    if (mkdir_parents(dir) < 0 || !(abs = realpath(dir, NULL))) {
        msg("%s: cannot create the run directory: %s", dir, strerror(errno));
        exit(EXIT_INTERNAL);
    }
    free(dir);
    if (asprintf(&manifest, "%s/" RUN_MANIFEST, abs) < 0) {
        msg("out of memory");
        exit(EXIT_INTERNAL);
    }
    if (access(manifest, F_OK) == 0)
        usage_error("%s holds a run already (%s); give each run a directory of its own", out,
                    manifest);
    free(manifest);
    /* the template: the directory with its '%' doubled, then the file name */
    tmpl = malloc(2 * strlen(abs) + sizeof("/faultprof.%e.%p.gz"));
    if (!tmpl) {
        msg("out of memory");
        exit(EXIT_INTERNAL);
    }
    len = 0;
    for (const char *p = abs; *p; p++) {
        if (*p == '%')
            tmpl[len++] = '%';
        tmpl[len++] = *p;
    }
    strcpy(tmpl + len, "/faultprof.%e.%p.gz");
    set_env("FAULTPROF_OUTPUT", tmpl);
    free(tmpl);
    o->run_dir = abs;
}

/* Like shell_word, for a line of the manifest: control characters become '?'. */
static void manifest_word(FILE *f, const char *s)
{
    char *copy = strdup(s);

    if (!copy)
        return;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    shell_word(f, copy);
    free(copy);
}

/* Writes DIR/manifest (through a temporary file and rename, so a reader
 * never sees half of it): see FILES in faultprof(1).  Traces inside the
 * directory are named relative to it.  Returns the traces listed, or -1. */
static int manifest_write(const struct options *o, const struct run_times *t, int status,
                          const char *registry)
{
    char *tmp, *path, *copy, *save = NULL, cwd[PATH_MAX];
    size_t dl = strlen(o->run_dir);
    int ntraces = 0;
    FILE *f;

    if (asprintf(&tmp, "%s/." RUN_MANIFEST ".tmp", o->run_dir) < 0)
        return -1;
    if (asprintf(&path, "%s/" RUN_MANIFEST, o->run_dir) < 0) {
        free(tmp);
        return -1;
    }
    f = fopen(tmp, "w");
    if (!f) {
        msg("%s: cannot write the run's manifest: %s", tmp, strerror(errno));
        free(tmp);
        free(path);
        return -1;
    }
    fprintf(f, "faultprof-run 1\nroot_pid %ld\ncommand", (long)t->root);
    for (char *const *a = o->argv; *a; a++) {
        fputc(' ', f);
        manifest_word(f, *a);
    }
    fputs("\ncwd ", f);
    manifest_word(f, getcwd(cwd, sizeof(cwd)) ? cwd : "?");
    fprintf(f, "\nstart %lld.%09ld\nend %lld.%09ld\n", (long long)t->start.tv_sec,
            t->start.tv_nsec, (long long)t->end.tv_sec, t->end.tv_nsec);
    if (WIFSIGNALED(status))
        fprintf(f, "status signal %d\n", WTERMSIG(status));
    else
        fprintf(f, "status exit %d\n", WEXITSTATUS(status));
    copy = strdup(registry ? registry : "");
    for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, o->run_dir, dl) == 0 && line[dl] == '/' && line[dl + 1] != '\0')
            line += dl + 1;
        fprintf(f, "trace %s\n", line);
        ntraces++;
    }
    free(copy);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        msg("%s: cannot write the run's manifest: %s", path, strerror(errno));
        unlink(tmp);
        ntraces = -1;
    }
    free(tmp);
    free(path);
    return ntraces;
}

/* The closing lines of a run: where it is and how to read it. */
static void run_report(const char *dir_arg, int ntraces)
{
    fprintf(stderr, "faultprof: wrote run ");
    shell_word(stderr, dir_arg);
    fprintf(stderr, " (%d trace%s and a manifest)\nfaultprof: read it with: faultprof-report ",
            ntraces, ntraces == 1 ? "" : "s");
    shell_word(stderr, dir_arg);
    fputc('\n', stderr);
}

/* Passes a signal on to the program.  A signal the terminal sent (si_code
 * SI_KERNEL) has reached the program already when it shares our process
 * group; sending it again would make a program that counts its SIGINTs see
 * two for one Ctrl-C. */
static void forward_handler(int sig, siginfo_t *si, void *uc)
{
    pid_t pid = child_pid;
    int saved = errno;

    if (pid > 0 && (si->si_code != SI_KERNEL || getpgid(pid) != getpgrp()))
        kill(pid, sig);
    errno = saved;
}

/* Installs the forwarding handlers, except for signals we were started with
 * ignored: then the program inherits them ignored, as it would without us. */
static void signals_install(void)
{
    struct sigaction sa, old;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = forward_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FORWARDED; i++) {
        if (sigaction(forwarded_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(forwarded_signals[i], &sa, NULL);
    }
}

static void signals_block(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < N_FORWARDED; i++)
        sigaddset(set, forwarded_signals[i]);
    sigprocmask(SIG_BLOCK, set, NULL);
}

/* Runs the program.  Returns its wait status, or -1 when it never ran; then
 * *exit_code says how we should exit.  A close-on-exec pipe carries the
 * errno of a failed exec back, so the message comes from here and the
 * launcher can tell "not found" from the program's own exit 127. */
static int child_run(char *const *argv, const sigset_t *oldmask, int *exit_code, pid_t *root)
{
    int pfd[2], err = 0, status;
    ssize_t n;
    pid_t pid;
    siginfo_t si;
    sigset_t blocked;

    if (pipe2(pfd, O_CLOEXEC) < 0) {
        msg("pipe: %s", strerror(errno));
        *exit_code = EXIT_INTERNAL;
        return -1;
    }
    /* Block the forwarded signals until child_pid is known. */
    signals_block(&blocked);
    pid = fork();
    if (pid < 0) {
        msg("fork: %s", strerror(errno));
        *exit_code = EXIT_INTERNAL;
        return -1;
    }
    if (pid == 0) {
        struct sigaction dfl;

        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        for (size_t i = 0; i < N_FORWARDED; i++) {
            struct sigaction cur;
            if (sigaction(forwarded_signals[i], NULL, &cur) == 0 && cur.sa_handler != SIG_IGN)
                sigaction(forwarded_signals[i], &dfl, NULL);
        }
        sigprocmask(SIG_SETMASK, oldmask, NULL);
        close(pfd[0]);
        execvp(argv[0], argv);
        err = errno;
        if (write(pfd[1], &err, sizeof(err)) < 0) {
            /* nothing to do: the parent then sees a plain exit */
        }
        _exit(err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
    }

    child_pid = pid;
    *root = pid;
    if (live_on)
        fp_live_start(pid);
    sigprocmask(SIG_SETMASK, oldmask, NULL);
    close(pfd[1]);
    do
        n = read(pfd[0], &err, sizeof(err));
    while (n < 0 && errno == EINTR);
    close(pfd[0]);

    /* Wait without reaping, then block the forwarded signals before
     * reaping: a late signal must not go to a recycled pid. */
    for (;;) {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) == 0 || errno != EINTR)
            break;
    }
    signals_block(&blocked);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            msg("waitpid: %s", strerror(errno));
            *exit_code = EXIT_INTERNAL;
            return -1;
        }
    }
    child_pid = 0;

    if (n == (ssize_t)sizeof(err)) {
        msg("%s: %s", argv[0], strerror(err));
        *exit_code = err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC;
        return -1;
    }
    return status;
}

/* Dies of the signal that killed the program, so that our parent sees the
 * same termination.  No core of our own: the program's core is the one that
 * matters, and ours would overwrite it when both land in one directory. */
static void die_like(int sig)
{
    struct rlimit nocore = { 0, 0 };
    struct sigaction dfl;
    sigset_t set;

    setrlimit(RLIMIT_CORE, &nocore);
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    fflush(NULL);
    raise(sig);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* Still here: the signal's default action is not to terminate. */
    exit(128 + sig);
}

int main(int argc, char **argv)
{
    struct options o;
    struct run_times times = { 0 };
    char *lib, *reg_path = NULL, *reg_text;
    const char *out_arg;
    int reg_fd, status, code = 0;
    sigset_t oldmask;

    options_parse(&o, argc, argv);
    if (o.toggle_pid)
        return fp_toggle_main(o.toggle_pid, o.quiet);
    out_arg = getenv("FAULTPROF_OUTPUT");
    out_arg = out_arg ? strdup(out_arg) : NULL;
    run_dir_setup(&o);
    if (o.live && fp_live_prepare(o.run_dir) < 0)
        return EXIT_INTERNAL;
    live_on = o.live;
    lib = lib_find(o.lib);
    if (!lib)
        return EXIT_INTERNAL;
    if (o.attach_pid) {
        code = fp_attach_main(o.attach_pid, lib, o.duration, o.quiet, o.live);
        free(lib);
        return code;
    }
    if (preload_set(lib) < 0) {
        free(lib);
        return EXIT_INTERNAL;
    }
    free(lib);
    reg_fd = registry_create(&reg_path);
    if (reg_fd < 0)
        return EXIT_INTERNAL;

    sigprocmask(SIG_SETMASK, NULL, &oldmask);
    signals_install();
    fflush(NULL);  /* nothing of ours may be duplicated into the child */
    clock_gettime(CLOCK_REALTIME, &times.start);
    status = child_run(o.argv, &oldmask, &code, &times.root);
    clock_gettime(CLOCK_REALTIME, &times.end);
    if (o.live)
        fp_live_finish();

    reg_text = registry_read(reg_fd);
    close(reg_fd);
    unlink(reg_path);
    free(reg_path);
    if (status >= 0 && o.run_dir) {
        int n = manifest_write(&o, &times, status, reg_text);
        if (n >= 0 && !o.quiet)
            run_report(out_arg, n);
    } else if (o.run_dir) {
        rmdir(o.run_dir);      /* the program never ran: no run, and no empty directory */
    } else if (status >= 0 && !o.quiet && reg_text) {
        registry_report(reg_text, o.argv[0]);
    }
    free(reg_text);
    free(o.run_dir);
    free((char *)out_arg);

    if (status < 0)
        return code;
    if (WIFSIGNALED(status))
        die_like(WTERMSIG(status));
    return WEXITSTATUS(status);
}
