#pragma once

#include <climits>
#include <string>
#include <unistd.h>

namespace shoal {

// The folder of the running executable, with a trailing '/' (empty when /proc is unreadable):
// where Shoal finds its helpers (shoal-guard, shoal-window.so) relative to itself.
inline std::string executableDir()
{
    char self[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return {};
    std::string dir(self, size_t(n));
    dir.resize(dir.rfind('/') + 1);
    return dir;
}

} // namespace shoal
