"""wsgi.file_wrapper, and the check whether a wrapped file can go by sendfile."""

import os
import stat


class FileWrapper:

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration

    def close(self):
        close = getattr(self.filelike, 'close', None)
        if close is not None:
            close()


def regular_file(wrapper):
    """(fd, offset, size to EOF) of a wrapped regular file, else None.

    Like mod_wsgi, anything unusual (no fileno, a pipe, tell() failing) just
    means the wrapper is iterated instead.
    """
    try:
        filelike = wrapper.filelike
        fd = filelike.fileno()
        info = os.fstat(fd)
        offset = filelike.tell()
    except Exception:
        return None
    if not stat.S_ISREG(info.st_mode) or not isinstance(offset, int):
        return None
    return fd, offset, max(info.st_size - offset, 0)
