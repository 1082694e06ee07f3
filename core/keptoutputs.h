#pragma once

#include "task.h"

#include <QByteArray>
#include <QByteArrayView>

#include <array>
#include <memory>
#include <vector>

namespace shoal {

// The tail of each finished task's stdout and stderr, kept for front ends (Pool::taskOutput: the
// window's output tabs). Texts are copied into blocks that never move, each behind its length,
// and a task holds one 8-byte position per stream, allocated only once something is kept: a
// million finished tasks cost 16 MB of positions plus their texts, and a run that keeps nothing
// (shoal run prints outputs as they come) costs nothing per task.
class KeptOutputs
{
public:
    // Keeps text as the task's stream, replacing what was kept before (a retry's).
    void keep(TaskId id, Stream stream, QByteArrayView text);
    QByteArray get(TaskId id, Stream stream) const; // a copy; empty when nothing is kept
    // Room for the positions of this many tasks at once (no doubling as they end).
    void reserve(qint64 tasks) { m_positions.reserve(size_t(tasks)); }

private:
    static constexpr qsizetype kBlockBits = 20;
    static constexpr qsizetype kBlockSize = qsizetype(1) << kBlockBits;
    static constexpr qsizetype kLargeText = kBlockSize / 16; // larger ones get their own array

    // Per task and stream: -1 nothing; >= 0 a position in the blocks (block << kBlockBits |
    // offset) where a 4-byte length and the text are; <= -2 the large text -(position + 2).
    std::vector<std::array<qint64, 2>> m_positions;
    std::vector<std::unique_ptr<char[]>> m_blocks;
    qsizetype m_used = kBlockSize; // in the last block
    std::vector<QByteArray> m_large;
};

} // namespace shoal
