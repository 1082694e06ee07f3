#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <memory>
#include <vector>

namespace shoal {

// Results kept with their tasks for front ends (Pool::taskOutput), in blocks that never move: a
// task's QByteArray is raw data pointing into them, so keeping a result allocates nothing. The
// arrays stay valid while the KeptOutputs lives.
class KeptOutputs
{
public:
    QByteArray keep(QByteArrayView text);

private:
    static constexpr qsizetype kBlockSize = 1 << 20;
    std::vector<std::unique_ptr<char[]>> m_blocks;
    qsizetype m_used = 0;
};

} // namespace shoal
