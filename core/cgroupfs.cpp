#include "cgroupfs.h"

#include "procfs.h"

#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace shoal::cgroupfs {

namespace {

constexpr size_t kPathMax = 4096;

// folder + '/' + name into out (kPathMax bytes); false when it does not fit.
bool joinPath(char *out, const char *folder, const char *name)
{
    const size_t a = std::strlen(folder), b = std::strlen(name);
    if (a + 1 + b + 1 > kPathMax)
        return false;
    std::memcpy(out, folder, a);
    out[a] = '/';
    std::memcpy(out + a + 1, name, b + 1);
    return true;
}

void removeFolders(const char *folder, int depth)
{
    if (depth > 32)
        return;
    struct Context
    {
        const char *folder;
        int depth;
    } context { folder, depth };
    procfs::forEachEntryIn(
        folder,
        [](const char *name, unsigned char type, void *c) {
            const auto *ctx = static_cast<const Context *>(c);
            char below[kPathMax];
            if (type == DT_DIR && name[0] != '.' && joinPath(below, ctx->folder, name))
                removeFolders(below, ctx->depth + 1);
        },
        &context);
    ::rmdir(folder); // a cgroup's folder is removed, not unlinked, once nothing lives in it
}

} // namespace

bool kill(const char *folder)
{
    char path[kPathMax];
    if (!joinPath(path, folder, "cgroup.kill"))
        return false;
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool killed = ::write(fd, "1", 1) == 1;
    ::close(fd);
    return killed;
}

bool isPopulated(const char *folder)
{
    char path[kPathMax];
    if (!joinPath(path, folder, "cgroup.events"))
        return false;
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char events[512] = {};
    const ssize_t n = ::read(fd, events, sizeof events - 1);
    ::close(fd);
    return n > 0 && std::strstr(events, "populated 1");
}

void removeTree(const char *folder, int waitMs)
{
    for (int waited = 0; waited < waitMs && isPopulated(folder); waited += 10)
        ::poll(nullptr, 0, 10);
    removeFolders(folder, 0);
}

} // namespace shoal::cgroupfs
