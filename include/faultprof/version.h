/* The version of faultprof's programs (the launcher, the analyzer and the
 * man pages' headers; tests/integration/settings_table.sh checks the man
 * pages against it).  The trace format has its own, in trace.h. */
#ifndef FAULTPROF_VERSION_H
#define FAULTPROF_VERSION_H

#define FAULTPROF_VERSION "0.1"

#endif
