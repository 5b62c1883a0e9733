// Linux evdev (linux/input.h) for the keyboard-mode evaluation pad: the event struct and the
// ioctls Swift cannot call directly (ioctl is variadic; EVIOCGRAB is a macro).
#include <linux/input.h>
#include <sys/ioctl.h>

/// EVIOCGRAB: 1 takes the device exclusively (its keys reach no one else), 0 releases it.
static inline int onewindow_evdev_grab(int fd, int on) { return ioctl(fd, EVIOCGRAB, on); }

/// EVIOCGNAME into `buffer`; the length or -1.
static inline int onewindow_evdev_name(int fd, char *buffer, unsigned int size) {
    return ioctl(fd, EVIOCGNAME(size), buffer);
}

static const unsigned short onewindow_ev_key = EV_KEY;
