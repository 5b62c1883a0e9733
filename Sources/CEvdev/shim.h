// Linux evdev (linux/input.h) for the keyboard-mode evaluation pad: the event struct and the
// ioctls Swift cannot call directly (ioctl is variadic; EVIOCGRAB is a macro).
#include <linux/input.h>
#include <sys/ioctl.h>

/// EVIOCGRAB: 1 takes the device exclusively (its keys reach no one else), 0 releases it.
static inline int onewindow_evdev_grab(int fd, int on) { return ioctl(fd, EVIOCGRAB, on); }
