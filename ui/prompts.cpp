#include "prompts.h"

#include <QMainWindow>
#include <QPushButton>
#include <QStatusBar>
#include <QSystemTrayIcon>

#include <utility>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

// "cannot read x" -> "Cannot read x."
QString Prompts::asSentence(const QString &text)
{
    QString sentence = text.trimmed();
    if (sentence.isEmpty())
        return sentence;
    sentence[0] = sentence[0].toUpper();
    if (!sentence.endsWith(u'.') && !sentence.endsWith(u'?') && !sentence.endsWith(u'!'))
        sentence += u'.';
    return sentence;
}

Prompts::Prompts(QMainWindow *window)
    : QObject(window)
    , m_window(window)
{
}

void Prompts::showError(const QString &title, const QString &text)
{
    if (m_prompt)
        m_prompt->close();
    // A heading that says what failed, then the details as a sentence (the engine's text
    // starts in lower case and names the file or program at fault).
    auto *box
        = new QMessageBox(QMessageBox::Critical, tr("Shoal"),
                          u"<b>%1</b>"_s.arg(title.toHtmlEscaped()), QMessageBox::Ok, m_window);
    box->setTextFormat(Qt::RichText);
    box->setInformativeText(asSentence(text));
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_prompt = box;
    box->open(); // window-modal, without a nested event loop
    m_window->statusBar()->showMessage(text, 15000);
}

void Prompts::ask(const QString &title, const QString &text, const QString &yesText,
                  std::function<void()> onYes, std::function<void()> onNo, const QString &safeText)
{
    if (m_prompt)
        m_prompt->close();
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::NoButton, m_window);
    box->setAttribute(Qt::WA_DeleteOnClose);
    // The safe answer has the focus and is what Return, Enter, Space and Escape choose; the
    // destructive one takes a deliberate click or Tab (and never becomes the default by focus).
    QPushButton *keep = box->addButton(safeText.isEmpty() ? tr("Keep Running") : safeText,
                                       QMessageBox::RejectRole);
    QPushButton *yes = box->addButton(yesText, QMessageBox::DestructiveRole);
    yes->setAutoDefault(false);
    box->setDefaultButton(keep);
    box->setEscapeButton(keep);
    connect(box, &QMessageBox::finished, this,
            [this, box, yes, onYes = std::move(onYes), onNo = std::move(onNo)] {
                if (box->clickedButton() == yes)
                    onYes();
                else if (m_alternative.first && box->clickedButton() == m_alternative.first)
                    std::exchange(m_alternative, {}).second(); // it may ask something else
                else if (onNo)
                    onNo();
            });
    m_prompt = box;
    m_alternative = {};
    box->open();
    keep->setFocus(Qt::ActiveWindowFocusReason);
}

void Prompts::offerAlternative(const QString &text, std::function<void()> onChosen)
{
    if (!m_prompt)
        return;
    QPushButton *button = m_prompt->addButton(text, QMessageBox::AcceptRole);
    button->setAutoDefault(false);
    m_alternative = { button, std::move(onChosen) };
}

void Prompts::notify(const QString &title, const QString &text)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(m_window->windowIcon(), this);
        m_tray->setToolTip(tr("Shoal"));
        m_tray->show();
    }
    m_tray->showMessage(title, text, QSystemTrayIcon::Information, 8000);
}

void Prompts::hideTray()
{
    if (m_tray)
        m_tray->hide();
}

} // namespace shoal
