#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace shoal {

class SpilledOutput;

// GNU parallel's --results layout, DIR/1/<input>/{seq,stdout,stderr}, written so that neither a
// kill nor another user can make it lie: every path below DIR is opened relative to a folder
// descriptor with O_NOFOLLOW (a symlink planted at DIR/1/foo or DIR/1/foo/stdout is refused,
// never followed), and each file is written under a temporary name created with O_EXCL and
// renamed into place, so a file that exists is whole (a kill leaves at most a stale temporary,
// which the next write of that task replaces).
class ResultsFolder
{
public:
    ResultsFolder() = default;
    ~ResultsFolder();
    ResultsFolder(const ResultsFolder &) = delete;
    ResultsFolder &operator=(const ResultsFolder &) = delete;

    // Creates DIR (and DIR/1) when missing.
    Result<void> open(const QString &dir);
    bool isOpen() const { return m_setFd >= 0; }

    // One stream of a task: in memory, or in the file it was spilled to.
    struct Stream
    {
        QByteArrayView data;
        const SpilledOutput *file = nullptr;
    };
    // input: the task's input as bytes. An error names the path and the reason.
    Result<void> write(qint64 seq, QByteArrayView input, Stream out, Stream err);

    // The folder name of an input: '/' becomes "\_", '\' "\\", tab "\t", NUL "\0"; "." and
    // ".." are escaped too, so that no input names a folder outside DIR/1.
    static QByteArray folderName(QByteArrayView input);

private:
    Result<void> writeFile(int dirFd, const QString &dirPath, const char *name, Stream stream);

    QString m_path;
    int m_setFd = -1; // DIR/1
};

} // namespace shoal
