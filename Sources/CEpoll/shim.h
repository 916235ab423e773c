// epoll (Linux, in libc): Swift's Glibc module does not export it.
#include <sys/epoll.h>
