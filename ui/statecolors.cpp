#include "statecolors.h"

namespace shoal {

namespace {

QColor mix(const QColor &a, const QColor &b, double amountOfB)
{
    const double k = 1.0 - amountOfB;
    return QColor::fromRgbF(float(a.redF() * k + b.redF() * amountOfB),
                            float(a.greenF() * k + b.greenF() * amountOfB),
                            float(a.blueF() * k + b.blueF() * amountOfB));
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Base).lightness() < 128;
}

} // namespace

QColor workerStateBackground(WorkerState state, const QPalette &palette)
{
    QColor hue;
    switch (state) {
    case WorkerState::Busy:
        hue = QColor(0x2e, 0xa0, 0x43); // green
        break;
    case WorkerState::Paused:
        hue = QColor(0xe0, 0xa0, 0x00); // amber
        break;
    case WorkerState::Draining:
        hue = QColor(0x3a, 0x7b, 0xd5); // blue
        break;
    case WorkerState::Crashed:
        hue = QColor(0xd0, 0x30, 0x30); // red
        break;
    case WorkerState::Idle:
        return {}; // the view's own background
    }
    // A tint, not a fill: the palette's text colour stays readable on it either way.
    return mix(palette.color(QPalette::Base), hue, isDark(palette) ? 0.45 : 0.30);
}

QColor parkedWorkerBackground(const QPalette &palette)
{
    return mix(palette.color(QPalette::Base), QColor(0x8a, 0x6f, 0xc8), // violet
               isDark(palette) ? 0.45 : 0.30);
}

QColor taskStateForeground(TaskState state, const QPalette &palette)
{
    QColor hue;
    switch (state) {
    case TaskState::Failed:
    case TaskState::TimedOut:
        hue = QColor(0xe0, 0x30, 0x30);
        break;
    case TaskState::Running:
        hue = QColor(0x2e, 0xa0, 0x43);
        break;
    case TaskState::Paused:
    case TaskState::Retrying:
        hue = QColor(0xd0, 0x90, 0x00);
        break;
    case TaskState::Cancelled:
        return palette.color(QPalette::Disabled, QPalette::Text);
    case TaskState::Queued:
    case TaskState::Succeeded:
        return {};
    }
    return mix(palette.color(QPalette::Text), hue, isDark(palette) ? 0.65 : 0.85);
}

} // namespace shoal
