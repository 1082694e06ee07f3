#include "resultsfolder.h"

#include "bytes.h"
#include "fileio.h"
#include "outputcapture.h"

#include <QDir>
#include <QFile>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {

// A folder below parentFd, made when missing; never a symlink.
int openSubfolder(int parentFd, const char *name)
{
    if (::mkdirat(parentFd, name, 0777) != 0 && errno != EEXIST)
        return -1;
    return ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

QString reasonOf(int err)
{
    // O_NOFOLLOW on a symlink gives ELOOP (or ENOTDIR with O_DIRECTORY): say what it means.
    if (err == ELOOP || err == ENOTDIR)
        return u"it is a symbolic link or not a folder; refusing to write through it"_s;
    return errnoText(err);
}

} // namespace

ResultsFolder::~ResultsFolder()
{
    if (m_setFd >= 0)
        ::close(m_setFd);
}

Result<void> ResultsFolder::open(const QString &dir)
{
    if (!QDir().mkpath(dir))
        return Error { u"cannot create the results folder '%1'"_s.arg(dir) };
    const int top = ::open(encodeBytes(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (top < 0)
        return Error { u"cannot open the results folder '%1': %2"_s.arg(dir, errnoText()) };
    m_setFd = openSubfolder(top, "1");
    const int err = errno;
    ::close(top);
    m_path = dir + u"/1"_s;
    if (m_setFd < 0)
        return Error { u"cannot use the results folder '%1': %2"_s.arg(m_path, reasonOf(err)) };
    return {};
}

QByteArray ResultsFolder::folderName(QByteArrayView input)
{
    if (input == "." || input == "..")
        return '\\' + input.toByteArray();
    QByteArray name;
    name.reserve(input.size());
    for (const char c : input) {
        switch (c) {
        case '\\':
            name += "\\\\";
            break;
        case '\t':
            name += "\\t";
            break;
        case '\0':
            name += "\\0";
            break;
        case '/':
            name += "\\_";
            break;
        default:
            name += c;
        }
    }
    return name;
}

Result<void> ResultsFolder::write(qint64 seq, QByteArrayView input, Stream out, Stream err)
{
    // An empty input writes into DIR/1 itself, as GNU parallel does.
    int dirFd = m_setFd;
    QString dirPath = m_path;
    if (!input.isEmpty()) {
        const QByteArray name = folderName(input);
        dirPath += u'/' + QFile::decodeName(name);
        dirFd = openSubfolder(m_setFd, name.constData());
        if (dirFd < 0)
            return Error { u"cannot write the results folder '%1': %2"_s.arg(dirPath,
                                                                             reasonOf(errno)) };
    }
    const QByteArray seqText = QByteArray::number(seq) + '\n';
    Result<void> written = writeFile(dirFd, dirPath, "seq", { seqText, nullptr });
    if (written)
        written = writeFile(dirFd, dirPath, "stdout", out);
    if (written)
        written = writeFile(dirFd, dirPath, "stderr", err);
    if (dirFd != m_setFd)
        ::close(dirFd);
    return written;
}

Result<void> ResultsFolder::writeFile(int dirFd, const QString &dirPath, const char *name,
                                      Stream stream)
{
    // A fixed temporary name per file: what a killed run left behind is replaced, not piled up.
    // unlinkat removes a planted symlink itself, never its target; O_EXCL|O_NOFOLLOW refuses one
    // planted again in between.
    const QByteArray temp = QByteArray(".") + name + ".shoal-partial";
    const QString path = dirPath + u'/' + QLatin1StringView(name);
    ::unlinkat(dirFd, temp.constData(), 0);
    const int fd = ::openat(dirFd, temp.constData(),
                            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0)
        return Error { u"cannot write '%1': %2"_s.arg(path, reasonOf(errno)) };
    const bool wrote = stream.file ? stream.file->copyTo(fd) : writeAll(fd, stream.data);
    const int writeError = errno;
    const bool closed = ::close(fd) == 0;
    const int closeError = errno;
    if (!wrote || !closed) {
        ::unlinkat(dirFd, temp.constData(), 0);
        return Error { u"cannot write '%1': %2"_s.arg(path,
                                                      errnoText(wrote ? closeError : writeError)) };
    }
    if (::renameat(dirFd, temp.constData(), dirFd, name) != 0) {
        const int err = errno;
        ::unlinkat(dirFd, temp.constData(), 0);
        return Error { u"cannot write '%1': %2"_s.arg(path, reasonOf(err)) };
    }
    return {};
}

} // namespace shoal
