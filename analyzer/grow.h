/* The analyzer's growing arrays, one rule for all of them: an array with
 * room for cap elements that must hold need grows to the first doubling of
 * cap (of first, when it has no room yet) that holds them, by realloc; a
 * capacity its count's type cannot hold, or a size size_t cannot, is out
 * of memory like a failed realloc (a trace's counts come from its bytes). */
#ifndef FP_GROW_H
#define FP_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The new capacity, or 0 when it would pass max elements or SIZE_MAX
 * bytes.  need > cap. */
static inline size_t fp_grow_cap(size_t cap, size_t need, size_t first, size_t elem, size_t max)
{
    size_t nc = cap ? cap : (first ? first : 1);
    while (nc < need) {
        if (nc > max / 2)
            return need <= max ? need : 0;
        nc *= 2;
    }
    if (nc > max || nc > SIZE_MAX / elem)
        return 0;
    return nc;
}

/* FP_GROW(v, cap, need, first): makes the array v (a pointer lvalue) with
 * room for cap (an unsigned lvalue of any width) hold need elements; 0, or
 * -1 with v and cap as they were when memory runs out.  FP_GROW_ZERO: the
 * new room zeroed too.  v and cap are evaluated more than once. */
#define FP_GROW(v, cap, need, first) FP_GROW_((v), (cap), (need), (first), 0)
#define FP_GROW_ZERO(v, cap, need, first) FP_GROW_((v), (cap), (need), (first), 1)

#define FP_GROW_(v, cap, need, first, zero)                                            \
    __extension__({                                                                    \
        _Static_assert((__typeof__(cap))-1 > 0, "FP_GROW: an unsigned capacity");     \
        int grow_rc_ = 0;                                                              \
        size_t grow_need_ = (need), grow_old_ = (cap);                                 \
        if (grow_need_ > grow_old_) {                                                  \
            size_t grow_nc_ = fp_grow_cap(grow_old_, grow_need_, (first), sizeof(*(v)), \
                                          (size_t)(__typeof__(cap))-1);               \
            char *grow_nv_ = grow_nc_ ? realloc((v), grow_nc_ * sizeof(*(v))) : NULL;  \
            if (grow_nv_) {                                                            \
                if (zero)                                                              \
                    memset(grow_nv_ + grow_old_ * sizeof(*(v)), 0,                     \
                           (grow_nc_ - grow_old_) * sizeof(*(v)));                     \
                (v) = (void *)grow_nv_;                                                \
                (cap) = (__typeof__(cap))grow_nc_;                                     \
            } else {                                                                   \
                grow_rc_ = -1;                                                         \
            }                                                                          \
        }                                                                              \
        grow_rc_;                                                                      \
    })

#endif
