"""JSON lines to the supervisor on the control fd (fd 3).

Every interpreter of the process (the main one and each sub-interpreter) has
its own Control on the same fd, with no lock in common. So each line goes out
with one os.write of at most PIPE_BUF bytes, which a pipe never interleaves
with other writers, and fd 3 is never wrapped in a file object that could
close it when collected (or when a sub-interpreter is torn down).
"""

import json
import os
import select

CONTROL_FD = 3

# Writes up to this size are atomic on a pipe (POSIX); 4096 on Linux.
PIPE_BUF = getattr(select, 'PIPE_BUF', 512)


def encode_line(event, fields, limit=PIPE_BUF):
    """The JSON line; a long 'error' text is cut so that the line fits in limit."""
    fields = dict(event=event, **fields)
    line = json.dumps(fields) + '\n'  # ASCII: ensure_ascii is on
    error = fields.get('error')
    if len(line) > limit and isinstance(error, str):
        # The longest start of the text that fits, with '...' to show the cut.
        low, high = 0, len(error)
        while low < high:
            middle = (low + high + 1) // 2
            fields['error'] = error[:middle] + '...'
            if len(json.dumps(fields)) < limit:
                low = middle
            else:
                high = middle - 1
        fields['error'] = error[:low] + '...'
        line = json.dumps(fields) + '\n'
    return line.encode('ascii')


class Control:

    def __init__(self, fd=CONTROL_FD):
        try:
            # Not for the app's child processes: they must not hold the pipe.
            os.set_inheritable(fd, False)
            self._fd = fd
        except OSError:
            # Started by hand without fd 3: nobody listens, stay silent.
            self._fd = None

    def send(self, event, **fields):
        if self._fd is None:
            return
        data = encode_line(event, fields)
        try:
            while data:
                data = data[os.write(self._fd, data):]
        except OSError:
            pass  # the supervisor is gone: nobody listens any more
