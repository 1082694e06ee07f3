#pragma once

#include "inputlist.h"
#include "result.h"

#include <QObject>

class QSocketNotifier;
class QTimer;

namespace shoal {

// Reads inputs from a file or a pipe as they come, a chunk at a time on the event loop, so that
// a pool starts on the first inputs before the last is read and an endless stream (`yes |`)
// runs: the owner pauses reading while enough inputs wait (a bounded look-ahead; the records
// of tasks that ran stay with the pool).
class InputReader : public QObject
{
    Q_OBJECT
public:
    explicit InputReader(QObject *parent = nullptr);
    ~InputReader() override;

    // path "-" is standard input. separator '\n' (lines: a NUL byte in one is an error) or '\0'.
    Result<void> open(const QString &path, char separator = '\n');
    // A number range (a batch file's inputs.range): generated as it is needed, never held whole.
    void openRange(qint64 from, qint64 step, qint64 count);
    void setPaused(bool paused);
    void stop(); // reads nothing more and signals nothing more
    bool isPaused() const { return m_paused; }
    bool isOpen() const { return m_fd >= 0 || m_rangeTimer; }

    // Splits text at separator into inputs, as fromLines() does; with '\n', a NUL byte is an
    // error naming where (firstLine: the line number of text's first line).
    static Result<InputList> split(QByteArray text, char separator, const QString &name,
                                   qint64 firstLine = 1);

Q_SIGNALS:
    void inputsRead(const shoal::InputList &inputs);
    void finished(); // the end of the input; nothing more is read
    void failed(const QString &error); // nothing more is read

private:
    void onReadable();
    void generateRange();
    void close();

    QString m_name;
    int m_fd = -1;
    bool m_ownsFd = false;
    char m_separator = '\n';
    bool m_paused = false;
    QSocketNotifier *m_notifier = nullptr;
    QByteArray m_partial; // the input still being read
    qint64 m_line = 1; // of m_partial's start
    QTimer *m_rangeTimer = nullptr;
    qint64 m_rangeNext = 0, m_rangeStep = 1, m_rangeLeft = 0;
};

} // namespace shoal
