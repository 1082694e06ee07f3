#include "inputreader.h"

#include "bytes.h"
#include "fileio.h"

#include <QFile>
#include <QSocketNotifier>
#include <QTimer>

#include <charconv>

#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

namespace {
constexpr qsizetype kChunk = 1 << 20;
// Longer than any command line can be (Linux takes 128 KiB per argument): an endless line
// (`< /dev/zero`) is an error, not all of memory.
constexpr qsizetype kMaxInput = 16 << 20;
} // namespace

InputReader::InputReader(QObject *parent)
    : QObject(parent)
{
}

InputReader::~InputReader()
{
    close();
}

Result<void> InputReader::open(const QString &path, char separator)
{
    m_separator = separator;
    m_name = path == u"-"_s ? u"standard input"_s : u"'%1'"_s.arg(path);
    if (path == u"-"_s) {
        m_fd = 0;
    } else {
        m_fd = ::open(encodeBytes(path).constData(), O_RDONLY | O_CLOEXEC); // the name's own bytes
        if (m_fd < 0)
            return Error { u"cannot read inputs from '%1': %2"_s.arg(path, errnoText()) };
        m_ownsFd = true;
    }
    struct stat st;
    if (::fstat(m_fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close();
        return Error { u"cannot read inputs from '%1': it is a directory"_s.arg(path) };
    }
    m_notifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &InputReader::onReadable);
    return {};
}

void InputReader::openRange(qint64 from, qint64 step, qint64 count)
{
    m_name = u"the input range"_s;
    m_rangeNext = from;
    m_rangeStep = step;
    m_rangeLeft = count;
    m_rangeTimer = new QTimer(this);
    connect(m_rangeTimer, &QTimer::timeout, this, &InputReader::generateRange);
    m_rangeTimer->start(0);
}

void InputReader::generateRange()
{
    if (m_paused)
        return;
    InputList values;
    for (int i = 0; i < 65536 && m_rangeLeft > 0; ++i) {
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, m_rangeNext);
        values.append(QByteArrayView(digits, end - digits));
        // Every value lies between from and to: the step after the last one is not taken.
        if (--m_rangeLeft > 0)
            m_rangeNext += m_rangeStep;
    }
    if (!values.isEmpty())
        Q_EMIT inputsRead(values);
    if (m_rangeLeft == 0 && m_rangeTimer) {
        close();
        Q_EMIT finished();
    }
}

void InputReader::setPaused(bool paused)
{
    m_paused = paused;
    if (m_notifier)
        m_notifier->setEnabled(!paused);
    if (m_rangeTimer)
        paused ? m_rangeTimer->stop() : m_rangeTimer->start(0);
}

void InputReader::stop()
{
    close();
}

void InputReader::close()
{
    delete m_notifier;
    m_notifier = nullptr;
    delete m_rangeTimer;
    m_rangeTimer = nullptr;
    if (m_ownsFd && m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_ownsFd = false;
}

Result<InputList> InputReader::split(QByteArray text, char separator, const QString &name,
                                     qint64 firstLine)
{
    if (separator != '\0') {
        // execve() would cut the argument short at a NUL byte, and the task would silently run
        // with less than its input.
        if (const qsizetype nul = text.indexOf('\0'); nul >= 0) {
            const qint64 line = firstLine + QByteArrayView(text).first(nul).count(separator);
            return Error { u"cannot read inputs from %1: line %2 holds a NUL byte, which no "
                           u"argument can carry "
                           "(-0/--null reads inputs separated by NUL bytes)"_s.arg(name)
                               .arg(line) };
        }
    }
    return InputList::fromRecords(std::move(text), separator); // empty: no inputs
}

void InputReader::onReadable()
{
    if (m_fd < 0 || m_paused)
        return;
    // One read per wake: a pipe never blocks us, and the event loop runs in between.
    const qsizetype kept = m_partial.size();
    m_partial.resize(kept + kChunk);
    ssize_t n;
    while ((n = ::read(m_fd, m_partial.data() + kept, size_t(kChunk))) < 0 && errno == EINTR) { }
    const int err = errno;
    m_partial.resize(kept + qMax<ssize_t>(n, 0));
    if (n < 0) {
        if (err == EAGAIN)
            return;
        close();
        Q_EMIT failed(u"cannot read inputs from %1: %2"_s.arg(m_name, errnoText(err)));
        return;
    }
    QByteArray complete;
    if (n == 0) { // the end: what is left is the last input
        complete = std::exchange(m_partial, {});
    } else {
        const qsizetype last = m_partial.lastIndexOf(m_separator);
        if (last < 0) {
            if (m_partial.size() <= kMaxInput)
                return; // no input is whole yet
            close();
            Q_EMIT failed(
                u"%1, line %2: an input is longer than %3 MiB (no command line can hold it)"_s
                    .arg(m_name)
                    .arg(m_line)
                    .arg(kMaxInput >> 20));
            return;
        }
        complete = m_partial.left(last + 1);
        m_partial.remove(0, last + 1);
    }
    const qint64 firstLine = m_line;
    if (m_separator == '\n')
        m_line += complete.count('\n');
    auto inputs = split(std::move(complete), m_separator, m_name, firstLine);
    if (!inputs) {
        close();
        Q_EMIT failed(inputs.error());
        return;
    }
    if (!inputs->isEmpty())
        Q_EMIT inputsRead(*inputs);
    if (n == 0) {
        close();
        Q_EMIT finished();
    }
}

} // namespace shoal
