#include "childregistry.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

namespace shoal::ChildRegistry {

namespace {

struct Bits
{
    std::atomic<std::uint64_t> *words = nullptr;
    size_t count = 0; // pids below this fit
};

size_t pidLimit()
{
    size_t limit = 4194304;
    if (FILE *f = std::fopen("/proc/sys/kernel/pid_max", "re")) {
        unsigned long v = 0;
        if (std::fscanf(f, "%lu", &v) == 1 && v > 0)
            limit = v;
        std::fclose(f);
    }
    return limit + 1;
}

// One bit per possible pid, mapped once and touched lazily: a few pages in practice.
const Bits &bits()
{
    static const Bits b = [] {
        Bits made;
        const size_t pids = pidLimit();
        const size_t words = (pids + 63) / 64;
        void *map = mmap(nullptr, words * sizeof(std::uint64_t), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (map != MAP_FAILED) {
            made.words = static_cast<std::atomic<std::uint64_t> *>(map);
            made.count = words * 64;
        }
        return made;
    }();
    return b;
}

} // namespace

void claim(pid_t pid)
{
    const Bits &b = bits();
    if (pid > 0 && size_t(pid) < b.count)
        b.words[size_t(pid) / 64].fetch_or(std::uint64_t(1) << (size_t(pid) % 64),
                                           std::memory_order_release);
}

void release(pid_t pid)
{
    const Bits &b = bits();
    if (pid > 0 && size_t(pid) < b.count)
        b.words[size_t(pid) / 64].fetch_and(~(std::uint64_t(1) << (size_t(pid) % 64)),
                                            std::memory_order_release);
}

bool isClaimed(pid_t pid)
{
    const Bits &b = bits();
    if (pid <= 0 || size_t(pid) >= b.count)
        return true; // unknown: leave it alone
    return b.words[size_t(pid) / 64].load(std::memory_order_acquire)
        & (std::uint64_t(1) << (size_t(pid) % 64));
}

std::shared_mutex &launchLock()
{
    static std::shared_mutex lock;
    return lock;
}

} // namespace shoal::ChildRegistry
