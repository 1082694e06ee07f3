#include "taskrecords.h"

namespace shoal {

Result<void> TaskRecords::open(const Options &options)
{
    m_options = options;
    if (!options.resultsDir.isEmpty()) {
        auto opened = m_results.open(options.resultsDir);
        if (!opened)
            return opened;
    }
    if (!options.joblogPath.isEmpty()) {
        m_joblog = std::make_unique<JoblogWriter>();
        auto opened = m_joblog->open(options.joblogPath, !options.appendJoblog);
        if (!opened)
            return opened;
    }
    return {};
}

Result<void> TaskRecords::writeDelivered(const QByteArray &rows)
{
    if (m_broken || !writesDeliveredRows() || rows.isEmpty())
        return {};
    return writeRows(rows);
}

Result<void> TaskRecords::writeRows(const QByteArray &rows)
{
    auto written = m_joblog->writeRows(rows);
    return written ? written : broken(written.error());
}

Result<void> TaskRecords::broken(const QString &why)
{
    m_broken = true;
    return Error { why };
}

} // namespace shoal
