// The kernel's V4L2 ABI (linux/videodev2.h, part of linux-libc-dev). The VIDIOC_* request codes are
// function-like macros (_IOWR with sizeof) that Swift cannot import, so they are exported here as
// constants, with an ioctl wrapper that retries on EINTR and takes a typed pointer.
#include <errno.h>
#include <sys/ioctl.h>
#include <linux/videodev2.h>

static const unsigned long OW_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long OW_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long OW_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long OW_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long OW_VIDIOC_QUERYCTRL = VIDIOC_QUERYCTRL;
static const unsigned long OW_VIDIOC_S_CTRL = VIDIOC_S_CTRL;
static const unsigned long OW_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long OW_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long OW_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long OW_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long OW_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long OW_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

static const unsigned int OW_V4L2_CTRL_FLAG_NEXT_CTRL = V4L2_CTRL_FLAG_NEXT_CTRL;

/// ioctl on a V4L2 node, retried while interrupted by a signal; -1 with errno set on failure.
static inline int ow_v4l2_ioctl(int fd, unsigned long request, void *argument) {
    int result;
    do { result = ioctl(fd, request, argument); } while (result == -1 && errno == EINTR);
    return result;
}
