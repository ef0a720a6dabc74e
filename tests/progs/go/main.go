// A cgo program for tests/integration/report_go.sh.  Goroutines call a C
// function that mallocs, the Go runtime maps its heap through cgo's
// gcc_mmap.c, and touch takes page faults in Go code.  The test finds the
// lines marked "site:" with grep: keep each marker on its statement.
//
// A C call's stack ends at runtime.asmcgocall, which switches to the
// thread's system stack without a frame the unwinder can step through, so
// work is never a malloc's caller; touch's faults are taken on the
// goroutine's own stack, whose frames are unwound up to runtime.goexit.
package main

/*
#include <stdlib.h>
#include <string.h>

static void *c_alloc(size_t n)
{
	void *p = malloc(n); // site: c_alloc
	if (p)
		memset(p, 1, n);
	return p;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"syscall"
)

//go:noinline
func work(id int, n int) uintptr {
	var sum uintptr
	for i := 0; i < n; i++ {
		p := C.c_alloc(C.size_t(4096 + id*64))
		sum += uintptr(*(*byte)(p))
		C.free(p)
	}
	return sum
}

// touch writes one byte a page: its page faults are taken in Go code, on a
// goroutine's stack, where the fault sampler's stacks start.
//
//go:noinline
func touch(b []byte) int {
	n := 0
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1 // site: touch
		n++
	}
	return n
}

func main() {
	var wg sync.WaitGroup
	sums := make([]uintptr, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			sums[g] = work(g, 2000)
		}(g)
	}
	wg.Wait()
	// Go garbage, so that the runtime grows its heap (mmap through cgo)
	var bufs [][]byte
	for i := 0; i < 64; i++ {
		bufs = append(bufs, make([]byte, 1<<16))
	}
	// 16 MiB of 4 KiB pages (no huge pages): 4096 faults in touch
	mem, err := syscall.Mmap(-1, 0, 16<<20, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(err)
	}
	syscall.Madvise(mem, syscall.MADV_NOHUGEPAGE)
	pages := touch(mem) // site: call touch
	fmt.Println("sums", sums[0], sums[1], sums[2], sums[3], "bufs", len(bufs), "pages", pages)
	// Go's own exit is a raw exit_group, which skips libc's exit handlers
	// and with them the shim's last flush: leave through libc's exit.
	C.exit(0)
}
