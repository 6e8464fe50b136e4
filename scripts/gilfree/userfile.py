"""The one way the scripts read a file a user named (--records, --hostfile, --simulate): a
regular file of a sane size, read as UTF-8 text, or a one-line reason why not. A device
(/dev/zero), a FIFO, a folder or a file larger than the caller's limit is refused before a
byte of it is read, so that no input can block the script or fill its memory."""
import os
import stat

MiB = 1 << 20


def read_text(path, limit):
    """The text of the regular file path, at most limit bytes. ValueError with a short reason
    (no path in it: the caller names the option and the path) when it is not a regular file,
    is larger than limit, cannot be read or is not UTF-8."""
    try:
        st = os.stat(path)  # stat does not open: a FIFO cannot block here
    except OSError as e:
        raise ValueError(e.strerror) from None
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"not a regular file ({_kind(st.st_mode)})")
    if st.st_size > limit:
        raise ValueError(f"{st.st_size:,} bytes, more than the {_size(limit)} such a file may be")
    try:
        # O_NONBLOCK: should the path become a FIFO between the stat and the open, the open
        # does not wait for a writer; fstat below refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise ValueError(e.strerror) from None
    with os.fdopen(fd, "rb") as f:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ValueError("not a regular file")
            data = f.read(limit + 1)
        except OSError as e:
            raise ValueError(e.strerror) from None
    if len(data) > limit:  # it grew after the stat
        raise ValueError(f"more than the {_size(limit)} such a file may be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None


def _kind(mode):
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"


def _size(n):
    return f"{n // MiB} MiB" if n >= MiB and n % MiB == 0 else f"{n:,} bytes"
