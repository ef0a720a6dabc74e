#include "fp.h"
bool fp_attaching, fp_attached;
bool fp_attach_mode(void) { return false; }
void fp_write_attach(struct fp_thread *t) { (void)t; }
