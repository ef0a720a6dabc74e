/* debuginfo: files and debug info for symbols.c's Dwfls (see debuginfo.h).
 * libdwfl's standard find_debuginfo searches Dwfl_Callbacks.debuginfo_path
 * (build-id trees and debuglink directories) and then, when DEBUGINFOD_URLS
 * is set, asks the servers through the Dwfl's own libdebuginfod client,
 * which keeps what it fetched in its cache ($DEBUGINFOD_CACHE_PATH, else
 * $XDG_CACHE_HOME/debuginfod_client, else ~/.cache/debuginfod_client) and
 * answers from there afterwards without the network.  Around that search
 * this file adds the flat --debug-dir files and says which debug info came
 * from a server, from the cache, or was missing. */
#include "debuginfo.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debug_inflate.h"
#include "model.h"

static int find_debuginfo(Dwfl_Module *mod, void **ud, const char *modname, GElf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name);

static struct {
    const char *sysroot;
    char **debug_dirs;
    size_t ndebug_dirs;
    char *debuginfo_path;        /* libdwfl's search path; NULL: its default */
    FILE *warn;
    int warn_set;
    int debuginfod;              /* DEBUGINFOD_URLS is set */
    pthread_mutex_t lock;        /* for said[] */
    char **said;                 /* build-ids whose debuginfod outcome was printed */
    size_t nsaid;
} cfg = { .lock = PTHREAD_MUTEX_INITIALIZER };

static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &cfg.debuginfo_path,
};

/* Set by debuginfod's progress callback, which runs in the thread that
 * asked: a download happened, and from where. */
static __thread unsigned long dl_progress;
static __thread char dl_url[512];

const char *fp_debuginfo_hex(const unsigned char *bits, size_t len, char *buf, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 3 <= n; i++, k += 2)
        snprintf(buf + k, 3, "%02x", bits[i]);
    buf[n ? (k < n ? k : n - 1) : 0] = 0;
    return buf;
}

int fp_debuginfo_configure(const char *sysroot, const char *const *debug_dirs, size_t n,
                           FILE *warn)
{
    cfg.warn = warn;
    cfg.warn_set = 1;
    cfg.sysroot = sysroot && *sysroot ? sysroot : NULL;
    if (!n && !cfg.sysroot)
        return 0;
    /* "-" (no CRC check: build-ids are checked instead), the module's
     * directory and its .debug, each --debug-dir, the sysroot's
     * /usr/lib/debug, then the host's */
    size_t len = 64 + (cfg.sysroot ? strlen(cfg.sysroot) + 16 : 0);
    for (size_t i = 0; i < n; i++)
        len += strlen(debug_dirs[i]) + 1;
    char *p = malloc(len);
    cfg.debug_dirs = calloc(n ? n : 1, sizeof(char *));
    if (!p || !cfg.debug_dirs) {
        free(p);
        return -1;
    }
    strcpy(p, "-:.debug");
    for (size_t i = 0; i < n; i++) {
        strcat(strcat(p, ":"), debug_dirs[i]);
        cfg.debug_dirs[i] = (char *)debug_dirs[i];
    }
    cfg.ndebug_dirs = n;
    if (cfg.sysroot)
        strcat(strcat(strcat(p, ":"), cfg.sysroot), "/usr/lib/debug");
    strcat(p, ":/usr/lib/debug");
    cfg.debuginfo_path = p;
    return 0;
}

static FILE *warn_stream(void)
{
    return cfg.warn_set ? cfg.warn : stderr;
}

/* libdebuginfod, loaded only when DEBUGINFOD_URLS is set (libdw loads its
 * own copy the same way): linked, it would load libcurl and its TLS
 * libraries, some 30 files, at every start of the report. */
static struct {
    void (*set_progressfn)(debuginfod_client *, debuginfod_progressfn_t);
    const char *(*get_url)(debuginfod_client *);
} dl;

static void dl_load(void)
{
    void *h = dlopen("libdebuginfod.so.1", RTLD_LAZY);
    if (!h)
        return;
    *(void **)&dl.set_progressfn = dlsym(h, "debuginfod_set_progressfn");
    *(void **)&dl.get_url = dlsym(h, "debuginfod_get_url");
}

static int progress(debuginfod_client *c, long a, long b)
{
    (void)a;
    (void)b;
    const char *url = dl.get_url ? dl.get_url(c) : NULL;
    dl_progress++;
    if (url)
        snprintf(dl_url, sizeof(dl_url), "%s", url);
    return 0;   /* go on */
}

Dwfl *fp_debuginfo_begin(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    Dwfl *dwfl = dwfl_begin(&callbacks);
    const char *urls = getenv("DEBUGINFOD_URLS");
    cfg.debuginfod = urls && *urls;
    if (dwfl && cfg.debuginfod) {
        pthread_once(&once, dl_load);
        debuginfod_client *c = dwfl_get_debuginfod_client(dwfl);
        if (c && dl.set_progressfn)
            dl.set_progressfn(c, progress);
    }
    return dwfl;
}

/* The build-id of the ELF file at path into id (hex); its length, 0 when it
 * has none, -1 when it is not a readable ELF file. */
static int file_build_id(const char *path, unsigned char *bits, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int n = -1;
    elf_version(EV_CURRENT);
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (elf && elf_kind(elf) == ELF_K_ELF) {
        const void *id;
        ssize_t len = dwelf_elf_gnu_build_id(elf, &id);
        n = len > 0 && (size_t)len <= cap ? (int)len : 0;
        if (n > 0)
            memcpy(bits, id, (size_t)n);
    }
    elf_end(elf);
    close(fd);
    return n;
}

enum fp_file_status fp_debuginfo_module_file(const struct fp_module *md, char *path, size_t n,
                                             char *id, size_t idn)
{
    char cand[2][PATH_MAX];
    int ncand = 0;
    if (cfg.sysroot && md->path[0] == '/')
        snprintf(cand[ncand++], PATH_MAX, "%s%s", cfg.sysroot, md->path);
    snprintf(cand[ncand++], PATH_MAX, "%s", md->path);
    enum fp_file_status st = FP_FILE_MISSING;
    for (int i = 0; i < ncand; i++) {
        if (access(cand[i], R_OK) != 0)
            continue;
        unsigned char bits[64];
        int len = md->build_id_len ? file_build_id(cand[i], bits, sizeof(bits)) : 0;
        if (!md->build_id_len ||
            ((uint32_t)len == md->build_id_len && !memcmp(bits, md->build_id, (size_t)len))) {
            snprintf(path, n, "%s", cand[i]);
            return FP_FILE_OK;
        }
        if (st == FP_FILE_MISSING) {
            st = FP_FILE_MISMATCH;
            snprintf(path, n, "%s", cand[i]);
            if (len > 0)
                fp_debuginfo_hex(bits, (size_t)len, id, idn);
            else
                snprintf(id, idn, "%s", len == 0 ? "none" : "not an ELF file");
        }
    }
    return st;
}

/* path opened when its build-id is bits (len bytes), its name into *out;
 * else -1. */
static int open_with_id(const char *path, const unsigned char *bits, int len, char **out)
{
    unsigned char id[64];
    if (file_build_id(path, id, sizeof(id)) != len || memcmp(id, bits, (size_t)len))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && (*out = strdup(path)) != NULL)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* --debug-dir's flat files: DIR/DEBUGLINK, DIR/NAME.debug or DIR/NAME
 * (an unstripped copy), taken when its build-id is the module's. */
static int find_in_debug_dirs(Dwfl_Module *mod, const char *file_name, const char *debuglink,
                              char **out)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(mod, &bits, &vaddr);
    if (len <= 0 || !cfg.ndebug_dirs)
        return -1;
    const char *base = file_name ? strrchr(file_name, '/') : NULL;
    base = base ? base + 1 : file_name;
    for (size_t i = 0; i < cfg.ndebug_dirs; i++) {
        char p[3][PATH_MAX];
        int np = 0;
        if (debuglink)
            snprintf(p[np++], PATH_MAX, "%s/%s", cfg.debug_dirs[i], debuglink);
        if (base) {
            snprintf(p[np++], PATH_MAX, "%s/%s.debug", cfg.debug_dirs[i], base);
            snprintf(p[np++], PATH_MAX, "%s/%s", cfg.debug_dirs[i], base);
        }
        for (int k = 0; k < np; k++) {
            int fd = open_with_id(p[k], bits, len, out);
            if (fd >= 0)
                return fd;
        }
    }
    return -1;
}

/* The standard search's first step, taken here: DIR/.build-id/XX/REST.debug
 * in each absolute directory of the search path, its build-id checked.
 * libdwfl's own (dwfl_build_id_find_debuginfo) keeps the ELF handle it
 * checked the file with, so a file found there is read as it is on disk,
 * compressed sections and all; found here, debug_inflate.c's copy is. */
static int find_by_build_id(Dwfl_Module *mod, char **out)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    int len = dwfl_module_build_id(mod, &bits, &vaddr);
    char hex[130];
    if (len < 2 || (size_t)len * 2 >= sizeof(hex))
        return -1;
    fp_debuginfo_hex(bits, (size_t)len, hex, sizeof(hex));
    const char *path = cfg.debuginfo_path ? cfg.debuginfo_path : ":.debug:/usr/lib/debug";
    for (const char *p = path; *p;) {
        const char *e = strchrnul(p, ':');
        const char *d = p + (*p == '+' || *p == '-');
        char f[PATH_MAX];
        int fd = -1;
        if (*d == '/' && snprintf(f, sizeof(f), "%.*s/.build-id/%.2s/%s.debug", (int)(e - d), d,
                                  hex, hex + 2) < (int)sizeof(f) &&
            (fd = open_with_id(f, bits, len, out)) >= 0)
            return fd;
        p = *e ? e + 1 : e;
    }
    return -1;
}

/* Whether this build-id's debuginfod outcome is to be printed (once). */
static int first_time(const char *hex)
{
    int first = 1;
    pthread_mutex_lock(&cfg.lock);
    for (size_t i = 0; i < cfg.nsaid && first; i++)
        first = strcmp(cfg.said[i], hex) != 0;
    if (first) {
        char **v = realloc(cfg.said, (cfg.nsaid + 1) * sizeof(*v));
        if (v) {
            cfg.said = v;
            if ((v[cfg.nsaid] = strdup(hex)) != NULL)
                cfg.nsaid++;
        }
    }
    pthread_mutex_unlock(&cfg.lock);
    return first;
}

/* The client's cache directory, as debuginfod_find_debuginfo(3) has it. */
static void cache_dir(char *buf, size_t n)
{
    const char *e = getenv("DEBUGINFOD_CACHE_PATH"), *x = getenv("XDG_CACHE_HOME");
    if (e && *e)
        snprintf(buf, n, "%s", e);
    else if (x && *x)
        snprintf(buf, n, "%s/debuginfod_client", x);
    else
        snprintf(buf, n, "%s/.cache/debuginfod_client", getenv("HOME") ? getenv("HOME") : "");
    char real[PATH_MAX];
    if (realpath(buf, real))
        snprintf(buf, n, "%s", real);
}

/* Says what debuginfod gave for mod: fd is the standard search's result,
 * fetched whether a download ran during it. */
static void say_debuginfod(Dwfl_Module *mod, const char *name, int fd, int fetched)
{
    const unsigned char *bits;
    GElf_Addr vaddr;
    FILE *w = warn_stream();
    int len = dwfl_module_build_id(mod, &bits, &vaddr);
    char hex[130], cache[PATH_MAX], got[PATH_MAX];
    if (len <= 0 || !w)
        return;
    fp_debuginfo_hex(bits, (size_t)len, hex, sizeof(hex));
    cache_dir(cache, sizeof(cache));
    if (fd >= 0) {
        char link[64];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t k = readlink(link, got, sizeof(got) - 1);
        got[k > 0 ? k : 0] = 0;
        size_t cl = strlen(cache);
        if (k <= 0 || strncmp(got, cache, cl) || got[cl] != '/')
            return;                      /* found on this machine */
    }
    if (!first_time(hex))
        return;
    if (fd >= 0 && fetched)
        fprintf(w, "faultprof-report: debuginfod: fetched debug info for %s (build-id %s) "
                "from %s\n", name, hex, dl_url[0] ? dl_url : "a server");
    else if (fd >= 0)
        fprintf(w, "faultprof-report: debuginfod: debug info for %s (build-id %s) from the "
                "cache, %s\n", name, hex, cache);
    else
        fprintf(w, "faultprof-report: debuginfod: no debug info for %s (build-id %s): %s; "
                "its frames show as module+offset\n", name, hex,
                fd == -ENOENT || fd == -1 ? "not on the servers of DEBUGINFOD_URLS"
                                          : strerror(-fd));
}

static int find_debuginfo(Dwfl_Module *mod, void **ud, const char *modname, GElf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name)
{
    int fd = find_in_debug_dirs(mod, file_name, debuglink, debuginfo_file_name);
    if (fd < 0)
        fd = find_by_build_id(mod, debuginfo_file_name);
    if (fd >= 0)
        return fp_debug_inflated(fd);
    unsigned long before = dl_progress;
    dl_url[0] = 0;
    fd = dwfl_standard_find_debuginfo(mod, ud, modname, base, file_name, debuglink, crc,
                                      debuginfo_file_name);
    if (cfg.debuginfod)
        say_debuginfod(mod, file_name ? file_name : modname, fd, dl_progress != before);
    return fd >= 0 ? fp_debug_inflated(fd) : fd;
}
