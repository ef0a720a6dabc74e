// A Go program using cgo, for the compatibility matrix
// (tests/integration/compat_build.sh): 8 goroutines allocate on the Go heap
// (which the Go runtime takes with mmap, not malloc) and call C code that
// mallocs and frees.  Prints the same lines every run.
package main

/*
#include <stdlib.h>
#include <string.h>

static unsigned long compat_c_work(int id, int n)
{
	unsigned long sum = 0;
	for (int i = 0; i < n; i++) {
		size_t len = 32 + (size_t)((i * 37 + id) % 512);
		unsigned char *p = malloc(len);
		memset(p, (i + id) & 0xff, len);
		sum += p[len / 2] + len;
		free(p);
	}
	return sum;
}
*/
import "C"

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

func goWork(id int) (int, uint64) {
	m := make(map[string][]int)
	total := 0
	for i := 0; i < 60000; i++ {
		k := fmt.Sprintf("k%d-%d", id, i%997)
		m[k] = append(m[k], i)
		total += len(k)
	}
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		sb.WriteString(fmt.Sprintf("%d,", i*id))
	}
	total += sb.Len() + len(m)
	c := uint64(C.compat_c_work(C.int(id), 100000))
	return total, c
}

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := map[int]string{}
	for id := 0; id < 8; id++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			t, c := goWork(id)
			mu.Lock()
			res[id] = fmt.Sprintf("goroutine %d: go %d c %d", id, t, c)
			mu.Unlock()
		}(id)
	}
	wg.Wait()
	keys := make([]int, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		fmt.Println(res[k])
	}
}
