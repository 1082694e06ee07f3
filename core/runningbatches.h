#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

#include <optional>
#include <vector>

namespace shoal {

// Where `shoal run` puts its control socket unless --control says otherwise, so that `shoal ps`
// and the window's File > Attach find this user's running batches: $XDG_RUNTIME_DIR/shoal/, or
// /tmp/shoal-UID/ without one. Made 0700 when missing; refused when it is a symbolic link, not
// a folder, not this user's, or open to others.
Result<QString> controlFolder();
// PID.sock in controlFolder().
Result<QString> defaultControlPath();

// Tries to connect to the Unix socket at path: 0 when something listens (or its backlog is
// full), else the errno (ECONNREFUSED: nobody listens any more).
int probeSocket(const QByteArray &path);

// One running batch, as its control socket answers `status`.
struct RunningBatch
{
    QString socket; // absolute path
    QString name;
    QString host;
    qint64 pid = 0;
    qint64 total = 0, ended = 0, running = 0, failed = 0;
    int workers = 0;
    bool paused = false;
    double throughput = 0; // tasks a second
    double etaSeconds = -1;

    // "45%" of its tasks ended, or `unknown` while it has none.
    QString percentDone(const QString &unknown) const
    {
        return total > 0 ? QString::number(ended * 100 / total) + u'%' : unknown;
    }
};

// One request line to a control socket and its answer line (empty when none came in time).
QByteArray askControlSocket(const QByteArray &path, const QByteArray &request, int timeoutMs);
// What the batch at a control socket says of itself (`status`); nothing when it does not answer.
std::optional<RunningBatch> batchStatus(const QString &path, int timeoutMs);

// The batches whose sockets are in controlFolder() and answer (within timeoutMs each). A socket
// nobody listens on any more (its run was killed) is removed. Blocks: not for a GUI thread.
std::vector<RunningBatch> listRunningBatches(int timeoutMs = 2000);

} // namespace shoal
