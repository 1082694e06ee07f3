#pragma once

#include "joblog.h"
#include "result.h"
#include "resultsfolder.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace shoal {

// The records a finished task leaves on disk: its --results files, then its joblog row (the row
// last, so a row never claims files that are not there). Once one of them cannot be written,
// nothing more is recorded (a row without its files, or after a gap, would lie to --resume).
class TaskRecords
{
public:
    struct Options
    {
        QString resultsDir; // empty: no --results
        QString joblogPath; // empty: no joblog
        bool appendJoblog = false; // --resume: keep the rows already there
        // The front end writes the row (writeDelivered) once it has delivered the output.
        bool joblogAfterDelivery = false;
    };
    Result<void> open(const Options &options);

    bool isBroken() const { return m_broken; }
    bool hasResults() const { return m_results.isOpen(); }
    // Rows written here (not by the front end after delivery).
    bool writesRows() const { return m_joblog && !m_options.joblogAfterDelivery; }
    bool writesDeliveredRows() const { return m_joblog && m_options.joblogAfterDelivery; }

    // One terminal task: results files, then the joblog row, which row() makes only when it is
    // wanted (it formats the task's command line). An error names what could not be written;
    // nothing is recorded from then on.
    template<typename MakeRow>
    Result<void> record(qint64 seq, QByteArrayView input, ResultsFolder::Stream out,
                        ResultsFolder::Stream err, MakeRow row)
    {
        if (m_broken)
            return {};
        if (m_results.isOpen()) {
            auto written = m_results.write(seq, input, out, err);
            if (!written)
                return broken(written.error());
        }
        return writesRows() ? writeRows(row()) : Result<void> {};
    }
    // Rows for outputs the front end has delivered (joblogAfterDelivery), in one write.
    Result<void> writeDelivered(const QByteArray &rows);

private:
    Result<void> writeRows(const QByteArray &rows);
    Result<void> broken(const QString &why);

    Options m_options;
    ResultsFolder m_results;
    std::unique_ptr<JoblogWriter> m_joblog;
    bool m_broken = false;
};

} // namespace shoal
