# A real Flask application (Debian's python3-flask), served by tswsgi in the tests.
import wsgiref.validate
from wsgiref.validate import validator

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route('/')
def index():
    return 'Hello from Flask'


@app.route('/json', methods=['GET', 'POST'])
def echo_json():
    return jsonify(method=request.method, path=request.path, script_root=request.script_root,
                   args=request.args.to_dict(), body=request.get_json(silent=True))


@app.route('/users/<name>')
def user(name):
    return jsonify(name=name, url=request.url)


# The validator makes any PEP 3333 violation by the server fail the test. It predates
# wsgi.input_terminated, which lets Werkzeug call read() with no size: allow just that.
_sized_read = wsgiref.validate.InputWrapper.read
wsgiref.validate.InputWrapper.read = lambda self, *size: _sized_read(self, *size) if size else self.input.read()
application = validator(app)
