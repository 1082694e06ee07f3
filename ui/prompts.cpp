#include "prompts.h"

#include <QMainWindow>
#include <QPushButton>
#include <QStatusBar>
#include <QSystemTrayIcon>

namespace shoal {

Prompts::Prompts(QMainWindow *window)
    : QObject(window)
    , m_window(window)
{
}

void Prompts::showError(const QString &title, const QString &text)
{
    if (m_prompt)
        m_prompt->close();
    auto *box = new QMessageBox(QMessageBox::Critical, title, text, QMessageBox::Ok, m_window);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_prompt = box;
    box->open(); // window-modal, without a nested event loop
    m_window->statusBar()->showMessage(text, 15000);
}

void Prompts::ask(const QString &title, const QString &text, const QString &yesText,
                  std::function<void()> onYes)
{
    if (m_prompt)
        m_prompt->close();
    auto *box
        = new QMessageBox(QMessageBox::Question, title, text, QMessageBox::NoButton, m_window);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *yes = box->addButton(yesText, QMessageBox::DestructiveRole);
    box->addButton(tr("Keep Running"), QMessageBox::RejectRole);
    box->setDefaultButton(qobject_cast<QPushButton *>(box->buttons().last()));
    connect(box, &QMessageBox::finished, this, [box, yes, onYes = std::move(onYes)] {
        if (box->clickedButton() == yes)
            onYes();
    });
    m_prompt = box;
    box->open();
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
