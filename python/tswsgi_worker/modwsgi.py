"""The `mod_wsgi` module applications can import, as mod_wsgi puts one in every interpreter.

The attributes that describe where the code runs, and subscribe_shutdown(). The rest of
mod_wsgi's module (request events, metrics) is not here: an application that looks for it
gets an AttributeError rather than something that only looks the same.
"""

import sys
import types

# As the environ's mod_wsgi.version: the mod_wsgi whose behaviour tswsgi follows.
VERSION = (4, 9, 4)


def install(settings, log):
    """Put a mod_wsgi module describing this interpreter into its sys.modules.

    Returns the function that runs its shutdown callbacks, for when the interpreter stops serving.
    """
    module = types.ModuleType('mod_wsgi', __doc__)
    module.version = VERSION
    module.process_group = settings.process_group
    module.application_group = settings.application_group
    module.maximum_processes = settings.processes
    module.threads_per_process = settings.threads
    callbacks = []

    def subscribe_shutdown(callback):
        """callback('process_stopping', shutdown_reason=...) runs once this process stops serving."""
        callbacks.append(callback)
        return callback

    def publish_shutdown(reason=''):
        for callback in callbacks:
            try:
                callback('process_stopping', shutdown_reason=reason)
            except Exception as exc:
                log.error('Exception in a mod_wsgi.subscribe_shutdown callback: %s' % exc)

    module.subscribe_shutdown = subscribe_shutdown
    sys.modules['mod_wsgi'] = module
    return publish_shutdown
