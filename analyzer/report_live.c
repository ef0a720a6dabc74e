/* report_live: the terminal view of faultprof-report --live (live.h), drawn
 * with ncurses on /dev/tty.  It only prints what live.c computed. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "report.h"

static SCREEN *screen;
static FILE *tty;

int fp_live_screen_open(void)
{
    if (!(tty = fopen("/dev/tty", "r+"))) {
        fprintf(stderr, "faultprof-report: --live needs a terminal: /dev/tty: %m\n");
        return -1;
    }
    if (!(screen = newterm(NULL, tty, tty))) {
        fprintf(stderr, "faultprof-report: --live: cannot use the terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "");
        fclose(tty);
        return -1;
    }
    set_term(screen);
    cbreak();
    noecho();
    curs_set(0);
    keypad(stdscr, TRUE);
    return 0;
}

void fp_live_screen_close(void)
{
    if (!screen)
        return;
    endwin();
    delscreen(screen);
    fclose(tty);
    screen = NULL;
}

int fp_live_screen_key(int timeout_ms)
{
    timeout(timeout_ms);
    int k = getch();
    return k == ERR ? -1 : k;
}

/* One row of a sparkline: the last width values of v, scaled to its maximum. */
static void spark_row(int y, int x, int width, const double *v, uint32_t n)
{
    static const char levels[] = " _.-:=+*#@";
    double max = 0;
    uint32_t from = n > (uint32_t)width ? n - (uint32_t)width : 0;
    for (uint32_t i = from; i < n; i++)
        if (v[i] > max)
            max = v[i];
    move(y, x);
    for (uint32_t i = from; i < n; i++) {
        int lv = max > 0 ? (int)(v[i] / max * (double)(sizeof(levels) - 2) + 0.5) : 0;
        addch((chtype)levels[lv]);
    }
}

static void spark(int y, const char *label, const char *now, const double *v, uint32_t n)
{
    mvprintw(y, 0, "%-11s %10s ", label, now);
    int w = COLS - 24;
    if (w > 0)
        spark_row(y, 23, w, v, n);
}

static void header(const struct fp_live *l, int paused)
{
    char a[32], b[32], c[32];
    attron(A_BOLD);
    mvprintw(0, 0, "faultprof live  pid %llu  %.*s", (unsigned long long)l->pid, COLS > 40 ? COLS - 40 : 0,
             l->command);
    attroff(A_BOLD);
    mvprintw(1, 0, "%s  %.1f s  %s %s, refresh %.0f ms", l->alive ? "running" : l->ended ? "ended" : "gone",
             l->seconds, l->nprocs > 1 ? "traces" : "trace", fp_fmt_bytes(l->trace_bytes, a, sizeof(a)),
             l->read_ms);
    if (l->nprocs > 1)
        printw("  process %u of %u", l->sel + 1, l->nprocs);
    printw("%s%s", paused ? "  [view paused]" : "", l->problem[0] ? "  (stale)" : "");
    double h[FP_LIVE_HISTORY];
    for (uint32_t i = 0; i < l->nhist; i++)
        h[i] = (double)l->h_live[i];
    spark(3, "heap live", fp_fmt_bytes(l->live_bytes, a, sizeof(a)), h, l->nhist);
    for (uint32_t i = 0; i < l->nhist; i++)
        h[i] = (double)l->h_rss[i];
    spark(4, "RSS", l->rss_bytes ? fp_fmt_bytes(l->rss_bytes, b, sizeof(b)) : "-", h, l->nhist);
    snprintf(c, sizeof(c), "%.0f/s", l->fault_rate);
    spark(5, "faults", c, l->h_faults, l->nhist);
    mvprintw(6, 0, "allocations %s (%.0f/s)   faults %s", fp_fmt_count(l->allocs, a, sizeof(a)),
             l->alloc_rate, fp_fmt_count(l->faults, b, sizeof(b)));
}

static void table(int y, const char *title, const struct fp_live_row *rows, uint32_t n,
                  enum fp_live_sort sort)
{
    static const char *const marks[] = { " ", ">" };
    char a[32];
    attron(A_REVERSE);
    mvprintw(y, 0, "%10s %12s %12s  %s (by %s)", "live", "allocs/s", "faults/s", title,
             fp_live_sort_name(sort));
    clrtoeol();
    attroff(A_REVERSE);
    for (uint32_t i = 0; i < n && y + 1 + (int)i < LINES - 1; i++)
        mvprintw(y + 1 + (int)i, 0, "%10s %12.0f %12.0f %s %.*s", fp_fmt_bytes(rows[i].live_bytes, a, sizeof(a)),
                 rows[i].alloc_rate, rows[i].fault_rate, marks[rows[i].mark != 0],
                 COLS > 40 ? COLS - 40 : 0, rows[i].name);
}

void fp_live_screen_draw(const struct fp_live *l, int paused)
{
    static const char *const titles[FP_LIVE_TABLES] = { "sites", "threads", "processes" };
    erase();
    clearok(curscr, TRUE);
    if (!l->have_trace) {
        mvprintw(0, 0, "faultprof live: %s", l->problem);
    } else {
        header(l, paused);
        table(8, titles[l->table], l->rows, l->nrows, l->sort);
    }
    attron(A_REVERSE);
    mvprintw(LINES - 1, 0, " s sort  t %s  n next process  p pause  q quit (the program runs on) ",
             titles[(l->table + 1) % FP_LIVE_TABLES]);
    attroff(A_REVERSE);
    refresh();
}
