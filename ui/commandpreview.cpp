#include "commandpreview.h"

#include "commandtemplate.h"
#include "inputlist.h"
#include "jsonlines.h"

#include <QFontDatabase>
#include <QScrollBar>

namespace shoal {

CommandPreview::CommandPreview(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(
        tr("The first commands appear here once the command and its inputs are valid."));
    // Every line in view, with room for the horizontal scroll bar of long commands.
    setFixedHeight(fontMetrics().lineSpacing() * (kCommands + 1) + 12
                   + horizontalScrollBar()->sizeHint().height());
}

void CommandPreview::showCommands(const CommandTemplate &command, const InputList &inputs,
                                  qint64 count, int workers)
{
    QStringList lines;
    QList<Spans> varying;
    for (qsizetype i = 0; i < qMin<qsizetype>(inputs.size(), kCommands); ++i) {
        const int slot = int(i % qMax(1, workers)) + 1;
        varying.emplaceBack();
        lines << command.displayVarying(inputs.at(i), i + 1, slot, &varying.last());
    }
    show(lines, varying, count);
}

void CommandPreview::showServiceInputs(ServiceSpec::Mode mode, const InputList &inputs,
                                       qint64 count, int workers)
{
    QStringList lines;
    for (qsizetype i = 0; i < qMin<qsizetype>(inputs.size(), kCommands); ++i) {
        const int slot = int(i % qMax(1, workers)) + 1;
        if (mode == ServiceSpec::Mode::Line) {
            lines << tr("worker %1 reads: %2").arg(slot).arg(inputs.at(i));
        } else {
            QByteArray json = "{\"id\":" + QByteArray::number(i) + ",\"input\":";
            appendJsonString(json, inputs.utf8(i));
            lines << tr("worker %1 reads: %2").arg(slot).arg(QString::fromUtf8(json + '}'));
        }
    }
    show(lines, {}, count);
}

void CommandPreview::showNothing()
{
    show({}, {}, 0);
}

void CommandPreview::show(QStringList lines, const QList<Spans> &varying, qint64 count)
{
    if (count > kCommands)
        lines << tr("… and %1 more").arg(count - kCommands);
    // One line per command: what would break a line (a script's newlines, a CR in an input)
    // shows as a symbol of one character, so that the spans keep their places.
    for (QString &line : lines) {
        for (QChar &c : line) {
            if (c == u'\n')
                c = QChar(0x23CE); // ⏎
            else if (c == u'\r')
                c = QChar(0x240D); // ␍
            else if (c == QChar::LineSeparator || c == QChar::ParagraphSeparator
                     || c == QChar(0xFDD0) || c == QChar(0xFDD1) || c == u'\v' || c == u'\f')
                c = QChar(0xFFFD);
        }
    }
    setPlainText(lines.join(u'\n'));
    QTextCharFormat format;
    format.setForeground(palette().color(QPalette::Link));
    format.setFontWeight(QFont::Bold);
    QList<QTextEdit::ExtraSelection> selections;
    int start = 0; // of the line: the lines before it, each with its newline
    for (qsizetype line = 0; line < varying.size(); start += int(lines[line++].size()) + 1) {
        for (const auto &[from, to] : varying[line]) {
            QTextCursor cursor(document());
            cursor.setPosition(start + int(from));
            cursor.setPosition(start + int(to), QTextCursor::KeepAnchor);
            selections.append({ cursor, format });
        }
    }
    setExtraSelections(selections);
}

} // namespace shoal
