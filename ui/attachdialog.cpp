#include "attachdialog.h"

#include "runningbatches.h"

#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QThread>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

AttachDialog::AttachDialog(QWidget *parent)
    : QDialog(parent)
    , m_list(new QTreeWidget(this))
    , m_address(new QLineEdit(this))
    , m_note(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Attach to a Running Batch"));
    setWindowModality(Qt::WindowModal);
    m_list->setRootIsDecorated(false);
    m_list->setHeaderLabels({ tr("Batch"), tr("Done"), tr("Workers"), tr("PID"), tr("Socket") });
    m_list->header()->resizeSection(0, 300);
    m_list->setAccessibleName(tr("Running batches"));
    m_address->setPlaceholderText(tr("a control socket, or ssh://HOST/PATH/TO/SOCKET"));
    m_address->setClearButtonEnabled(true);
    m_note->setWordWrap(true);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Attach"));
    auto *refreshButton = m_buttons->addButton(tr("&Refresh"), QDialogButtonBox::ResetRole);

    auto *form = new QFormLayout;
    form->addRow(tr("&Address:"), m_address);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("Batches running as you on this machine:"), this));
    layout->addWidget(m_list, 1);
    layout->addWidget(m_note);
    layout->addLayout(form);
    layout->addWidget(m_buttons);
    resize(760, 360);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(refreshButton, &QPushButton::clicked, this, &AttachDialog::refresh);
    connect(m_list, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (item)
            m_address->setText(item->data(0, Qt::UserRole).toString());
    });
    connect(m_list, &QTreeWidget::itemActivated, this, [this] { accept(); });
    connect(m_address, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!text.trimmed().isEmpty());
    });
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    refresh();
}

void listRunningBatchesLater(QObject *context,
                             std::function<void(const std::vector<RunningBatch> &)> done)
{
    QPointer<QObject> guard(context);
    QThread *thread = QThread::create([guard, done = std::move(done)] {
        std::vector<RunningBatch> found = listRunningBatches(1000);
        QMetaObject::invokeMethod(QCoreApplication::instance(),
                                  [guard, done, found = std::move(found)] {
                                      if (guard)
                                          done(found);
                                  });
    });
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

void AttachDialog::refresh()
{
    const quint64 generation = ++m_generation;
    m_note->setText(tr("Looking for running batches…"));
    listRunningBatchesLater(this, [this, generation](const std::vector<RunningBatch> &found) {
        if (generation != m_generation)
            return; // refreshed again meanwhile
        m_list->clear();
        for (const RunningBatch &b : found) {
            const QString done = b.percentDone(u"–"_s);
            auto *item = new QTreeWidgetItem(
                m_list,
                { b.name, b.paused ? tr("%1 (paused)").arg(done) : done, QString::number(b.workers),
                  QString::number(b.pid), b.socket });
            item->setData(0, Qt::UserRole, b.socket);
            item->setToolTip(0, b.name);
        }
        m_note->setText(found.empty() ? tr("No batch is running as you here. Start one with "
                                           "`shoal run`, or type the address of one on another "
                                           "host.")
                                      : QString());
        if (!found.empty() && !m_list->currentItem())
            m_list->setCurrentItem(m_list->topLevelItem(0));
        Q_EMIT listed();
    });
}

void AttachDialog::accept()
{
    const QString target = m_address->text().trimmed();
    if (target.isEmpty())
        return;
    Q_EMIT attachRequested(target);
    QDialog::accept();
}

} // namespace shoal
