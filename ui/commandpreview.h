#pragma once

#include "batchfile.h"

#include <QPlainTextEdit>

namespace shoal {

class CommandTemplate;
class InputList;

// The New Batch dialog's preview: the first commands a batch would run, one per line, with
// what changes from one input to the next (the placeholders' values) standing out; or, for
// a service batch, what its first workers would read.
class CommandPreview : public QPlainTextEdit
{
    Q_OBJECT
public:
    static constexpr int kCommands = 5;

    explicit CommandPreview(QWidget *parent = nullptr);

    // inputs: the first (at least kCommands) of count inputs; workers: the pool's size.
    void showCommands(const CommandTemplate &command, const InputList &inputs, qint64 count,
                      int workers);
    void showServiceInputs(ServiceSpec::Mode mode, const InputList &inputs, qint64 count,
                           int workers);
    void showNothing();

private:
    using Spans = QList<std::pair<qsizetype, qsizetype>>; // [start, end) in a line
    void show(QStringList lines, const QList<Spans> &varying, qint64 count);
};

} // namespace shoal
