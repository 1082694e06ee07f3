#pragma once

#include <QByteArray>
#include <QString>

#include <sys/types.h>

#include <memory>
#include <vector>

namespace shoal {

// A cgroup v2 of its own for every running task, where the system lets us make one (a systemd
// user session delegates the user's cgroups; root may use its own; cgroup v1 and many
// containers do not): everything a task starts stays in its cgroup whatever it does with
// sessions and groups, and `cgroup.kill` ends it all at once.
//
// The run's folder, `<our own cgroup>/shoal-<run id>`, holds one child per slot ("cells",
// reused from task to task, so no folder is made per task). A task is born in its cell
// (Launcher); Shoal itself stays where it was. The folders go when this object does; the process
// guard removes them if Shoal dies.
class TaskCgroups
{
public:
    // Null, with why set, where no cgroup v2 can be made or entered here.
    static std::unique_ptr<TaskCgroups> create(const QByteArray &runId, QString *why);
    ~TaskCgroups(); // kills whatever is still in the run's cells, then removes the folders
    TaskCgroups(const TaskCgroups &) = delete;
    TaskCgroups &operator=(const TaskCgroups &) = delete;

    const QByteArray &path() const { return m_path; } // the run's folder

    // A cell nobody uses (made when none is free); -1 when it cannot be made.
    int acquire();
    // The cell's folder, open: a child is born in it (clone3's CLONE_INTO_CGROUP) or enters it
    // by writing "0" to its cgroup.procs.
    int folderFd(int cell) const { return m_cells[size_t(cell)].folder; }
    // Appends the processes in the cell now; false when the cell cannot be read.
    bool members(int cell, std::vector<pid_t> &out) const;
    // SIGKILLs everything in the cell (cgroup.kill: atomic, processes forking meanwhile
    // included); false when the kernel refused.
    bool kill(int cell);
    void release(int cell) { m_free.push_back(cell); } // for the next task

    // Removes the folders of runs whose Shoal is gone and that nothing lives in any more.
    static void removeStale(const QByteArray &parent);

private:
    explicit TaskCgroups(QByteArray path)
        : m_path(std::move(path))
    {
    }
    QByteArray cellPath(int cell) const { return m_path + "/c" + QByteArray::number(cell); }

    QByteArray m_path;
    struct Cell
    {
        int folder;
        int procs; // its cgroup.procs, for reading
    };
    std::vector<Cell> m_cells;
    std::vector<int> m_free;
};

} // namespace shoal
