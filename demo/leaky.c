/* demo/leaky.c: a first program to profile, with three allocation sites that
 * a report should tell apart at a glance:
 *   load_names()    leaks: 1000 small strings whose list is dropped
 *   format_lines()  temporaries: 200000 short-lived strings, each freed at once
 *   render_image()  one big buffer: 64 MiB, touched (16384 page faults), freed
 * usage: leaky [SCALE]  (SCALE multiplies the counts and the size, default 1) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* asprintf */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct name {
    struct name *next;
    char *text;
};

/* Builds a list of names and forgets it: the leak. */
static __attribute__((noinline)) size_t load_names(long n)
{
    struct name *head = NULL;
    size_t total = 0;
    char buf[32];

    for (long i = 0; i < n; i++) {
        struct name *e = malloc(sizeof(*e));
        snprintf(buf, sizeof(buf), "name-%ld", i);
        e->text = strdup(buf);
        e->next = head;
        head = e;
        total += strlen(e->text);
    }
    return total;   /* head goes out of scope: every node and string leaks */
}

/* Formats lines into temporaries that live for one iteration each. */
static __attribute__((noinline)) uint64_t format_lines(long n)
{
    uint64_t h = 0;

    for (long i = 0; i < n; i++) {
        char *line;
        if (asprintf(&line, "line %ld: value=%ld", i, i * 7) < 0)
            exit(1);
        for (char *p = line; *p; p++)
            h = h * 131 + (unsigned char)*p;
        free(line);
    }
    return h;
}

/* One big buffer, every page of it written. */
static __attribute__((noinline)) uint64_t render_image(size_t bytes)
{
    unsigned char *img = malloc(bytes);
    uint64_t h = 0;

    if (!img)
        exit(1);
    for (size_t i = 0; i < bytes; i++)
        img[i] = (unsigned char)(i * 2654435761u >> 13);
    for (size_t i = 0; i < bytes; i += 61)
        h = (h ^ img[i]) * 1099511628211ull;
    free(img);
    return h;
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;

    if (scale < 1) {
        fprintf(stderr, "usage: leaky [SCALE]\n");
        return 2;
    }
    size_t names = load_names(1000 * scale);
    uint64_t lines = format_lines(200000 * scale);
    uint64_t image = render_image((size_t)scale * 64 << 20);
    printf("leaky: %zu name bytes, lines %016llx, image %016llx\n", names,
           (unsigned long long)lines, (unsigned long long)image);
    return 0;
}
