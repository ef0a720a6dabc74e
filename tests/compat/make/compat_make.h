/* The few C files `make -j2` builds in the compatibility matrix. */
#include <stddef.h>
char **compat_words(int n);
void compat_words_free(char **w, int n);
struct compat_table;
struct compat_table *compat_table_new(size_t buckets);
void compat_table_add(struct compat_table *t, const char *key);
size_t compat_table_count(const struct compat_table *t);
void compat_table_free(struct compat_table *t);
unsigned long compat_sum(char **w, int n);
