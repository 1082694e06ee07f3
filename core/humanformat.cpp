#include "humanformat.h"

#include <QLocale>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString formatDuration(qint64 ms)
{
    if (ms < 1000)
        return u"%1 ms"_s.arg(ms);
    if (ms < 60'000)
        return u"%1 s"_s.arg(double(ms) / 1000.0, 0, 'f', ms < 10'000 ? 2 : 1);
    return formatClock(double(ms) / 1000.0);
}

QString formatClock(double seconds)
{
    if (seconds < 0)
        return u"?"_s;
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600)
        return u"%1:%2:%3"_s.arg(s / 3600)
            .arg(s / 60 % 60, 2, 10, QChar(u'0'))
            .arg(s % 60, 2, 10, QChar(u'0'));
    return u"%1:%2"_s.arg(s / 60).arg(s % 60, 2, 10, QChar(u'0'));
}

QString countOf(qint64 count, const QString &singular, const QString &plural)
{
    return u"%1 %2"_s.arg(count).arg(count == 1 ? singular : plural);
}

QString formatBytes(qint64 bytes)
{
    return QLocale::system().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

} // namespace shoal
