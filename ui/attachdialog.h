#pragma once

#include <QDialog>

#include <functional>
#include <vector>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTreeWidget;

namespace shoal {

struct RunningBatch;

// Lists this user's running batches in a thread of its own, then calls done in context's thread
// (not at all if context is gone by then).
void listRunningBatchesLater(QObject *context,
                             std::function<void(const std::vector<RunningBatch> &)> done);

// File > Attach: this user's running batches (found in a thread of their own: the window never
// waits on a socket), or an address typed in (a socket's path, or ssh://HOST/PATH).
class AttachDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AttachDialog(QWidget *parent = nullptr);

    void refresh();
    QTreeWidget *list() const { return m_list; }
    QLineEdit *addressEdit() const { return m_address; }

Q_SIGNALS:
    void attachRequested(const QString &target);
    void listed(); // the list shows what the last refresh() found

private:
    void accept() override;

    QTreeWidget *m_list;
    QLineEdit *m_address;
    QLabel *m_note;
    QDialogButtonBox *m_buttons;
    quint64 m_generation = 0;
};

} // namespace shoal
