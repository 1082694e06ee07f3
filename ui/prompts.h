#pragma once

#include <QMessageBox>
#include <QObject>
#include <QPointer>

#include <functional>
#include <utility>

class QMainWindow;
class QAbstractButton;
class QSystemTrayIcon;

namespace shoal {

// The window's questions, errors and notifications. Boxes are window-modal and opened without
// a nested event loop, so nothing blocks the engine's frames (or a test); one box at a time.
class Prompts : public QObject
{
    Q_OBJECT
public:
    explicit Prompts(QMainWindow *window);

    // An error box: title as its heading, text as the details; the text also goes to the
    // status bar.
    void showError(const QString &title, const QString &text);
    static QString asSentence(const QString &text);
    // A question whose safe answer ("Keep Running") is the default; onYes runs on yesText,
    // onNo on any other answer.
    void ask(const QString &title, const QString &text, const QString &yesText,
             std::function<void()> onYes, std::function<void()> onNo = {},
             const QString &safeText = {});
    // A third answer for the question ask() just opened.
    void offerAlternative(const QString &text, std::function<void()> onChosen);
    // A desktop notification, where the desktop has a tray.
    void notify(const QString &title, const QString &text);
    void hideTray();
    QMessageBox *current() const { return m_prompt; }

private:
    QMainWindow *m_window;
    QPointer<QMessageBox> m_prompt;
    std::pair<QPointer<QAbstractButton>, std::function<void()>> m_alternative;
    QSystemTrayIcon *m_tray = nullptr;
};

} // namespace shoal
