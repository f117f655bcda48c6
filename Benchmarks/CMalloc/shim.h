// glibc's malloc statistics for RestoreBench (<malloc.h> is not part of Swift's Glibc module).
#include <malloc.h>
#include <stddef.h>

/// Bytes malloc has handed out and not had back: arena blocks in use plus mmapped blocks (mallinfo2).
static inline size_t tributary_heap_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

/// Gives free heap memory back to the system (malloc_trim), so RSS deltas start from a clean heap.
static inline int tributary_heap_trim(void) { return malloc_trim(0); }
