// libjpeg-turbo's TurboJPEG API (libturbojpeg0-dev): page decoding at reduced scale for the
// quality check, and JPEG encoding of YUYV frames and simulator pages.
#include <stddef.h>
#include <turbojpeg.h>
