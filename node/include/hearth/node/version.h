// version.h: the Hearth release and wire-format versions reported by the tools.
#pragma once

#include <string_view>

namespace hearth {

std::string_view HearthVersion();

}  // namespace hearth
