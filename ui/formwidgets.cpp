#include "formwidgets.h"

#include <QCoreApplication>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QLabel *makeErrorLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    // Red that reads on light and dark backgrounds alike.
    label->setStyleSheet(u"color: #e0443e;"_s);
    // Its room stays when it hides: the dialog does not jump as errors come and go.
    QSizePolicy policy = label->sizePolicy();
    policy.setRetainSizeWhenHidden(true);
    label->setSizePolicy(policy);
    label->setMinimumHeight(label->fontMetrics().lineSpacing());
    label->hide();
    return label;
}

QWidget *withBrowse(QLineEdit *edit, QToolButton **button, QWidget *parent)
{
    auto *row = new QWidget(parent);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(edit, 1);
    *button = new QToolButton(row);
    (*button)->setText(QCoreApplication::translate("shoal::NewBatchDialog", "Browse…"));
    layout->addWidget(*button);
    return row;
}

QWidget *topAligned(QWidget *content)
{
    auto *page = new QWidget(content->parentWidget());
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(content);
    layout->addStretch(1);
    return page;
}

QSpinBox *makeSpin(int min, int max, int value, QWidget *parent)
{
    auto *spin = new QSpinBox(parent);
    spin->setRange(min, max);
    spin->setValue(value);
    return spin;
}

QWidget *makePlaceholderStrip(CommandEdit *command, QWidget *parent)
{
    const auto tr = [](const char *text) {
        return QCoreApplication::translate("shoal::NewBatchDialog", text);
    };
    auto *row = new QWidget(parent);
    auto *strip = new QHBoxLayout(row);
    strip->setContentsMargins(0, 0, 0, 0);
    strip->setSpacing(2);
    strip->addWidget(new QLabel(tr("Insert:"), row));
    const std::pair<const char16_t *, const char *> placeholders[] = {
        { u"{}", "the input" },
        { u"{.}", "the input without its extension" },
        { u"{/}", "the input's base name" },
        { u"{//}", "the input's folder" },
        { u"{/.}", "the base name without its extension" },
        { u"{#}", "the task's number" },
        { u"{%}", "the worker's slot" },
    };
    for (const auto &[text, meaning] : placeholders) {
        auto *button = new QToolButton(row);
        button->setText(QString::fromUtf16(text));
        button->setToolTip(tr(meaning));
        button->setAutoRaise(true);
        button->setFont(command->font());
        QObject::connect(button, &QToolButton::clicked, command,
                         [command, placeholder = button->text()] {
                             command->insert(placeholder);
                             command->setFocus();
                         });
        strip->addWidget(button);
    }
    strip->addStretch(1);
    return row;
}

CommandEdit::CommandEdit(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setTabChangesFocus(true);
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void CommandEdit::setText(const QString &text)
{
    setPlainText(text);
    moveCursor(QTextCursor::End);
}

void CommandEdit::setCursorPosition(int position)
{
    QTextCursor cursor = textCursor();
    cursor.setPosition(qBound(0, position, int(text().size())));
    setTextCursor(cursor);
}

int CommandEdit::heightForLines(int lines) const
{
    const QMargins m = contentsMargins();
    return fontMetrics().lineSpacing() * lines + int(2 * document()->documentMargin()) + m.top()
        + m.bottom() + 2 * frameWidth();
}

// Three lines: room for a short script; a longer one scrolls.
QSize CommandEdit::sizeHint() const
{
    return { QPlainTextEdit::sizeHint().width(), heightForLines(3) };
}

QSize CommandEdit::minimumSizeHint() const
{
    return { QPlainTextEdit::minimumSizeHint().width(), heightForLines(3) };
}

void CommandEdit::keyPressEvent(QKeyEvent *event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && (event->modifiers() & Qt::ControlModifier)) {
        Q_EMIT submitted();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

QString SecondsSpinBox::textFromValue(double value) const
{
    QString text = locale().toString(value, 'f', decimals());
    if (!isGroupSeparatorShown())
        text.remove(locale().groupSeparator());
    const QChar point = locale().decimalPoint().at(0);
    if (text.contains(point)) {
        while (text.endsWith(u'0'))
            text.chop(1);
        if (text.endsWith(point))
            text.chop(1);
    }
    return text;
}

} // namespace shoal
