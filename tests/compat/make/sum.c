/* A checksum over the words, for the make row of the compatibility matrix. */
#include "compat_make.h"

unsigned long compat_sum(char **w, int n)
{
    unsigned long s = 0;
    for (int i = 0; i < n; i++)
        for (const char *p = w[i]; *p; p++)
            s = s * 131 + (unsigned char)*p;
    return s;
}
