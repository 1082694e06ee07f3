#pragma once

#include <QDoubleSpinBox>
#include <QPlainTextEdit>

class QLabel;
class QLineEdit;
class QSpinBox;
class QToolButton;
class QWidget;

namespace shoal {

// Small pieces of the window's forms.

// A red error line under a field; hidden, it keeps its room (the form does not jump).
QLabel *makeErrorLabel(QWidget *parent);
// edit with a "Browse…" button beside it (returned in *button), as one row.
QWidget *withBrowse(QLineEdit *edit, QToolButton **button, QWidget *parent);
// A page of a stack that keeps its fields at the top when the stack is taller.
QWidget *topAligned(QWidget *content);
QSpinBox *makeSpin(int min, int max, int value, QWidget *parent);
// A command of a few lines: a shell script keeps its lines, a program's arguments may be
// spread over several (newlines separate words). Return starts a new line, Ctrl+Return is
// submitted(); Tab leaves the field. It reads like a line edit: text(), setText(), insert().
class CommandEdit : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit CommandEdit(QWidget *parent = nullptr);

    QString text() const { return toPlainText(); }
    void setText(const QString &text);
    void insert(const QString &text) { insertPlainText(text); }
    void setCursorPosition(int position);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void submitted();

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    int heightForLines(int lines) const;
};

// The command template's placeholders as a row of buttons: a click inserts one into command
// where its cursor is.
QWidget *makePlaceholderStrip(CommandEdit *command, QWidget *parent);

// Seconds as the rest of the window writes them: "30 s", "2.5 s" (not "30.0 s").
class SecondsSpinBox : public QDoubleSpinBox
{
public:
    using QDoubleSpinBox::QDoubleSpinBox;

protected:
    QString textFromValue(double value) const override;
};

} // namespace shoal
