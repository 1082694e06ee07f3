#include "welcomepage.h"

#include "attachdialog.h"
#include "runningbatches.h"

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace shoal {

QString recentFileLabel(const QString &path)
{
    return u"%1  (%2)"_s.arg(QFileInfo(path).fileName(),
                             QDir::toNativeSeparators(QFileInfo(path).path()));
}

// A list of paths: a long one is cut in its middle (the tooltip has it whole), never scrolled
// sideways.
static QListWidget *makePathList(QWidget *parent)
{
    auto *list = new QListWidget(parent);
    list->setMinimumWidth(420);
    list->setMaximumWidth(560);
    list->setTextElideMode(Qt::ElideMiddle);
    list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return list;
}

WelcomePage::WelcomePage(const QIcon &icon, QWidget *parent)
    : QWidget(parent)
{
    auto *title = new QLabel(tr("Shoal"), this);
    QFont big = title->font();
    big.setPointSizeF(big.pointSizeF() * 2.2);
    big.setBold(true);
    title->setFont(big);
    auto *subtitle = new QLabel(tr("Run, watch and steer pools of worker processes."), this);
    auto *iconLabel = new QLabel(this);
    iconLabel->setPixmap(icon.pixmap(96, 96));
    iconLabel->setVisible(!icon.isNull()); // needs Qt's SVG plugin (libqt6svg6)
    auto *newButton = new QPushButton(tr("New Batch…"), this);
    auto *openButton = new QPushButton(tr("Open Batch File…"), this);
    auto *demoButton = new QPushButton(tr("Run the Demo"), this);
    for (QPushButton *b : { newButton, openButton, demoButton })
        b->setMinimumWidth(220);
    m_recentList = makePathList(this);
    m_recentList->setMaximumHeight(180);
    m_recentList->setUniformItemSizes(true);
    m_recentLabel = new QLabel(this);
    m_runningLabel = new QLabel(tr("Running batches (Return attaches):"), this);
    m_runningList = makePathList(this);
    m_runningList->setAccessibleName(tr("Running batches"));
    m_runningLabel->hide();
    m_runningList->hide();
    m_runningTimer = new QTimer(this);
    m_runningTimer->setInterval(5000);
    connect(m_runningTimer, &QTimer::timeout, this, &WelcomePage::refreshRunning);

    auto *column = new QVBoxLayout;
    column->setSpacing(10);
    column->addWidget(iconLabel, 0, Qt::AlignHCenter);
    column->addWidget(title, 0, Qt::AlignHCenter);
    column->addWidget(subtitle, 0, Qt::AlignHCenter);
    column->addSpacing(16);
    column->addWidget(newButton, 0, Qt::AlignHCenter);
    column->addWidget(openButton, 0, Qt::AlignHCenter);
    column->addWidget(demoButton, 0, Qt::AlignHCenter);
    column->addSpacing(16);
    column->addWidget(m_recentLabel, 0, Qt::AlignHCenter);
    column->addWidget(m_recentList, 0, Qt::AlignHCenter);
    column->addSpacing(8);
    column->addWidget(m_runningLabel, 0, Qt::AlignHCenter);
    column->addWidget(m_runningList, 0, Qt::AlignHCenter);
    auto *layout = new QVBoxLayout(this);
    layout->addStretch(1);
    layout->addLayout(column);
    layout->addStretch(2);

    connect(newButton, &QPushButton::clicked, this, &WelcomePage::newBatchRequested);
    connect(openButton, &QPushButton::clicked, this, &WelcomePage::openRequested);
    connect(demoButton, &QPushButton::clicked, this, &WelcomePage::demoRequested);
    connect(m_recentList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        Q_EMIT recentFileActivated(item->data(Qt::UserRole).toString());
    });
    connect(m_runningList, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        Q_EMIT attachRequested(item->data(Qt::UserRole).toString());
    });
    setRecentFiles({});
}

void WelcomePage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refreshRunning();
    m_runningTimer->start();
}

void WelcomePage::hideEvent(QHideEvent *event)
{
    m_runningTimer->stop();
    QWidget::hideEvent(event);
}

void WelcomePage::refreshRunning()
{
    listRunningBatchesLater(this, [this](const std::vector<RunningBatch> &found) {
        const QString current = m_runningList->currentItem()
            ? m_runningList->currentItem()->data(Qt::UserRole).toString()
            : QString();
        m_runningList->clear();
        for (const RunningBatch &b : found) {
            const QString done = b.percentDone(u"–"_s);
            auto *item = new QListWidgetItem(u"%1  (%2, pid %3)"_s.arg(b.name, done).arg(b.pid),
                                             m_runningList);
            item->setData(Qt::UserRole, b.socket);
            item->setToolTip(b.socket);
            if (b.socket == current)
                m_runningList->setCurrentItem(item);
        }
        if (!found.empty()) // as tall as its rows, up to four
            m_runningList->setFixedHeight(int(qMin<size_t>(found.size(), 4))
                                              * m_runningList->sizeHintForRow(0)
                                          + 2 * m_runningList->frameWidth());
        m_runningLabel->setVisible(!found.empty());
        m_runningList->setVisible(!found.empty());
        Q_EMIT runningListed();
    });
}

void WelcomePage::setRecentFiles(const QStringList &paths)
{
    m_recentList->clear();
    for (const QString &path : paths) {
        auto *item = new QListWidgetItem(recentFileLabel(path), m_recentList);
        item->setData(Qt::UserRole, path);
        item->setToolTip(path);
    }
    m_recentList->setVisible(!paths.isEmpty());
    m_recentLabel->setText(paths.isEmpty() ? tr("Or drop a batch file (*.shoal.json) here.")
                                           : tr("Recent batch files (or drop one here):"));
}

} // namespace shoal
