#include "control.h"
int fp_attach_main(long pid, const char *lib, double duration, int quiet) { return 1; }
