// The wrappers are static inline in include/CPushShims.h; this file gives the target a source.
#include "CPushShims.h"
