#pragma once

namespace shoal {

// The process guard's whole life (see processguard.h), shared by the `shoal-guard` helper and
// the fork() fallback: async-signal-safe system calls only, no allocation but one mmap.
// registrationFd carries 32-bit pgids (negative: forget that group); wakeFd is the read end of
// a pipe nobody writes to, so that its closing (Shoal shut down or died) ends the guard's
// batching naps at once. On EOF from registrationFd it SIGKILLs every group still registered.
[[noreturn]] void runGuard(int registrationFd, int wakeFd);

} // namespace shoal
