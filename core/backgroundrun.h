#pragma once

#include "batchfile.h"
#include "result.h"

#include <QString>

namespace shoal {

// A batch started from the window to outlive it: `shoal run --batch` in a session of its own
// (setsid, not the window's child), with a control socket the window attaches to, and its
// joblog, outputs and errors in a folder of its own.
struct BackgroundRun
{
    QString folder; // batch.shoal.json, joblog, output.txt (stdout), errors.txt (stderr)
    QString socket; // in controlFolder(): `shoal ps` and File > Attach list it
    qint64 pid = 0;
    // Readable once the run listens ("ready"), or at its end (EOF) if it never did; the caller
    // closes it.
    int readyFd = -1;

    QString joblog() const { return folder + QStringLiteral("/joblog"); }
    QString output() const { return folder + QStringLiteral("/output.txt"); }
    QString errors() const { return folder + QStringLiteral("/errors.txt"); }
    // Whether the run still exists (not exited, not a zombie).
    bool isAlive() const;
};

// Starts spec as a background run: shoal is the `shoal` executable, runsFolder where each run
// gets its folder, baseDir what relative paths (the command's and the inputs') are relative to.
// resumeFrom: a joblog of the tasks already done (a batch the window hands over), which the run
// continues with --resume: those tasks are not run again.
Result<BackgroundRun> startBackgroundRun(const BatchSpec &spec, const QString &baseDir,
                                         const QString &shoal, const QString &runsFolder,
                                         const QString &resumeFrom = {});

} // namespace shoal
