# A Flask application (Debian's python3-flask) for the preload tests: it records when its
# module ran, so a test can tell a preload at process start from a load at the first request.
import os
import sys
import time

from flask import Flask, jsonify, request

LOADED_AT = time.time()
app = Flask(__name__)


@app.route('/')
def index():
    return jsonify(pid=os.getpid(), loaded_at=LOADED_AT, module=__name__, executable=sys.executable,
                   process_group=request.environ['mod_wsgi.process_group'],
                   application_group=request.environ['mod_wsgi.application_group'],
                   script_root=request.script_root)


application = app
