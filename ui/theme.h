#pragma once

#include <QPalette>
#include <QString>

namespace shoal {

// The window's colours: the desktop's own (System), or Shoal's light or dark palette. Chosen
// in View > Theme and remembered in the settings.
enum class Theme { System, Light, Dark };

void applyTheme(Theme theme);
QString nameOf(Theme theme); // "system", "light", "dark": the settings' words
Theme themeNamed(const QString &name); // System for anything else
QPalette darkPalette();

} // namespace shoal
