// glibc's malloc statistics (mallinfo2) for kioskd's memory metrics; part of libc, nothing to link.
#include <malloc.h>
