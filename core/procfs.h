#pragma once

#include <cstddef>
#include <cstdint>

#include <sys/types.h>

namespace shoal::procfs {

// Reading /proc without Qt and without allocating, so that the guard (a fork()ed child of a
// threaded process, or the tiny shoal-guard program) can use the same code as the engine.

struct Stat
{
    char state = '?';
    pid_t ppid = 0;
    pid_t pgrp = 0;
    std::uint64_t startTime = 0; // clock ticks after boot: with the pid, names one process
    std::int64_t cpuTicks = 0; // utime + stime
    std::int64_t rssPages = 0;
};

// Parses the text of /proc/PID/stat. The command name may hold spaces and parentheses.
bool parseStat(const char *text, size_t length, Stat &out);
bool readStat(pid_t pid, Stat &out);

// Reads /proc/PID/task/TID/children of every thread of pid (self when pid is 0) and calls
// fn(child, context) for each child.
// Every entry of dir (its name and its d_type), read with getdents64: no allocation, so that
// the process guard's fork() fallback may use it.
void forEachEntryIn(const char *dir,
                    void (*fn)(const char *name, unsigned char type, void *context), void *context);
void forEachChild(pid_t pid, void (*fn)(pid_t child, void *context), void *context);

// Whether /proc/PID/environ holds an entry starting with prefix; if so the digits right after
// it are stored in *number (0 when none). Returns 0 for no such entry, 1 for one, -1 when the
// environment is empty or cannot be read (a zombie, `env -i`, a process of another user).
int findEnvironNumber(pid_t pid, const char *prefix, size_t prefixLength, std::uint64_t *number);

// Calls fn(pid, context) for every process in /proc.
void forEachProcess(void (*fn)(pid_t pid, void *context), void *context);

} // namespace shoal::procfs
