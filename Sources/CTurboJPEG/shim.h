// libjpeg-turbo's TurboJPEG API (libturbojpeg0-dev): page decoding at reduced scale for the
// quality check, and JPEG encoding of YUYV frames and simulator pages.
#include <stddef.h>
#include <turbojpeg.h>

// TJFLAG_* are plain #defines (imported), but keep the ones used in one place for clarity.
static const int onewindow_tj_flag_fastdct = TJFLAG_FASTDCT;
