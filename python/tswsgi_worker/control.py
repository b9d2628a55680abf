"""JSON lines to the supervisor on the control fd (fd 3)."""

import json
import os

CONTROL_FD = 3


class Control:

    def __init__(self, fd=CONTROL_FD):
        try:
            # Not for the app's child processes: they must not hold the pipe.
            os.set_inheritable(fd, False)
            self._file = os.fdopen(fd, 'w', buffering=1, encoding='utf-8')
        except OSError:
            # Started by hand without fd 3: nobody listens, stay silent.
            self._file = None

    def send(self, event, **fields):
        if self._file is not None:
            fields = dict(event=event, **fields)
            self._file.write(json.dumps(fields) + '\n')
