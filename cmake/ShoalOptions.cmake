# Project-wide compile settings live on one INTERFACE target that every target links
# (modelled on qBittorrent's CommonConfig.cmake), never on global add_definitions.
add_library(shoal_options INTERFACE)
target_compile_features(shoal_options INTERFACE cxx_std_20)
target_compile_definitions(shoal_options INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_USE_QSTRINGBUILDER
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    _GNU_SOURCE)
target_compile_options(shoal_options INTERFACE -Wall -Wextra -Wpedantic
    $<$<BOOL:${SHOAL_WERROR}>:-Werror>)

set(SHOAL_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address,undefined")
if(SHOAL_SANITIZE)
    # A target with the SHOAL_NO_SANITIZE property is built without: the tests' fixture worker,
    # which runs under RLIMIT_AS where a sanitizer cannot reserve its shadow memory.
    set(sanitize "$<$<NOT:$<BOOL:$<TARGET_PROPERTY:SHOAL_NO_SANITIZE>>>:-fsanitize=${SHOAL_SANITIZE}>")
    target_compile_options(shoal_options INTERFACE ${sanitize} -fno-omit-frame-pointer)
    target_link_options(shoal_options INTERFACE ${sanitize})
endif()
