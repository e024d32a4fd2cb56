#include "hearth/node/version.h"

namespace hearth {

std::string_view HearthVersion() { return "0.1.0"; }

}  // namespace hearth
